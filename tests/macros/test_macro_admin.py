"""Macros in the Django admin: saved through macros.services, so the same rules hold."""

from __future__ import annotations

from django.urls import reverse

from macros.models import Macro


def admin_data(**overrides) -> dict[str, object]:
    data = {
        "name": "Admin macro",
        "body": "Hello {{ requester.name }}",
        "visibility": "everyone",
        "set_status": "",
        "set_priority": "",
        "add_tags": "VIP, Billing",
        "set_team": "",
        "set_assignee": "",
    }
    return {**data, **overrides}


def test_admin_creates_a_macro_owned_by_them_by_default(carol, client_for):
    client = client_for(carol)
    assert f'value="{carol.pk}"' in client.get(reverse("admin:macros_macro_add")).content.decode()

    response = client.post(reverse("admin:macros_macro_add"), admin_data(owner=carol.pk))

    assert response.status_code == 302, response.content.decode()[:2000]
    macro = Macro.objects.get()
    assert (macro.owner, macro.add_tags) == (carol, "vip, billing")


def test_admin_refuses_an_unknown_placeholder(carol, client_for):
    response = client_for(carol).post(
        reverse("admin:macros_macro_add"), admin_data(owner=carol.pk, body="{{ requester.password }}")
    )

    assert response.status_code == 200
    assert "Unknown placeholder: requester.password." in response.content.decode()
    assert not Macro.objects.exists()


def test_requesters_cannot_reach_the_macro_admin(mallory, client_for):
    response = client_for(mallory).get(reverse("admin:macros_macro_changelist"))

    assert response.status_code in (302, 404)
