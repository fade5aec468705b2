"""A People page row restored by the browser from an older visit cannot revert a role: its select sends
`unchanged` for the role the page shows, and a browser puts that option back, not the older role."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import Role
from tests.support.browser_forms import choose, form_controls, revisited, submitted


def test_saving_a_restored_row_keeps_the_newer_role(client_for, carol, bob):
    client = client_for(carol)
    action = reverse("people_role_change", args=[bob.pk])
    first_visit = form_controls(client.get(reverse("people")).content.decode(), action)
    client.post(action, submitted(choose(first_visit, "role", Role.ADMIN)))
    bob.refresh_from_db()
    assert bob.role == Role.ADMIN

    restored = revisited(first_visit, form_controls(client.get(reverse("people")).content.decode(), action))
    response = client.post(action, submitted(restored), follow=True)

    bob.refresh_from_db()
    assert bob.role == Role.ADMIN
    assert "already is an admin" in response.content.decode()
