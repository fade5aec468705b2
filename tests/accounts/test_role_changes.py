"""Only admins change roles (admin, API), never their own, and every change is recorded with actor and time."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, RoleChange, User

pytestmark = pytest.mark.django_db


def change_in_admin(client, user, **fields):
    data = {"email": user.email, "name": user.name, "role": user.role, "is_active": "on", **fields}
    return client.post(reverse("admin:accounts_user_change", args=[user.pk]), data)


def history(user) -> list[tuple[str, str, str | None]]:
    return [
        (change.old_role, change.new_role, change.actor.email if change.actor else None)
        for change in RoleChange.objects.filter(user=user)
    ]


def test_promotion_in_the_django_admin_records_the_admin_and_the_time(carol, alice, client_for):
    before = timezone.now()

    response = change_in_admin(client_for(carol), alice, role=Role.AGENT)

    assert response.status_code == 302
    assert history(alice) == [("requester", "agent", "carol@example.com")]
    assert RoleChange.objects.get(user=alice).changed_at >= before


def test_promotion_through_the_api_records_the_admin(carol, alice, api_client_for):
    response = api_client_for(carol).patch(f"/api/v1/users/{alice.pk}/", {"role": "agent"}, format="json")

    assert response.status_code == 200
    assert history(alice) == [("requester", "agent", "carol@example.com")]


def test_each_change_is_a_new_row_newest_first(carol, alice, api_client_for):
    client = api_client_for(carol)
    client.patch(f"/api/v1/users/{alice.pk}/", {"role": "agent"}, format="json")
    client.patch(f"/api/v1/users/{alice.pk}/", {"role": "admin"}, format="json")

    assert history(alice) == [("agent", "admin", "carol@example.com"), ("requester", "agent", "carol@example.com")]


def test_saving_a_user_in_the_admin_without_changing_the_role_records_nothing(carol, alice, client_for):
    response = change_in_admin(client_for(carol), alice, name="Alice Renamed")

    assert response.status_code == 302
    assert not RoleChange.objects.exists()


def test_api_patch_with_the_same_role_records_nothing(carol, alice, api_client_for):
    client = api_client_for(carol)

    client.patch(f"/api/v1/users/{alice.pk}/", {"role": "requester"}, format="json")
    client.patch(f"/api/v1/users/{alice.pk}/", {"name": "Alice Renamed"}, format="json")

    assert not RoleChange.objects.exists()


def test_admin_cannot_change_their_own_role_in_the_django_admin(carol, client_for):
    response = change_in_admin(client_for(carol), carol, role=Role.AGENT)

    assert response.status_code == 200
    assert "You cannot change your own role." in response.content.decode()
    carol.refresh_from_db()
    assert carol.role == Role.ADMIN
    assert not RoleChange.objects.exists()


def test_admin_can_still_rename_themselves_in_the_django_admin(carol, client_for):
    response = change_in_admin(client_for(carol), carol, name="Carol Renamed")

    assert response.status_code == 302
    carol.refresh_from_db()
    assert (carol.name, carol.role) == ("Carol Renamed", Role.ADMIN)


def test_admin_cannot_delete_their_own_account_in_the_django_admin(carol, client_for):
    """As with their own role: it could leave nobody to undo it (and a deletion cannot be undone at all)."""
    client = client_for(carol)
    url = reverse("admin:accounts_user_delete", args=[carol.pk])

    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "post": "yes", ACTION_CHECKBOX_NAME: [carol.pk]},
    )
    assert response.status_code == 403
    assert User.objects.filter(pk=carol.pk).exists()


def test_admin_cannot_change_their_own_role_through_the_api(carol, api_client_for):
    response = api_client_for(carol).patch(f"/api/v1/users/{carol.pk}/", {"role": "agent"}, format="json")

    assert response.status_code == 403
    assert not RoleChange.objects.exists()


def test_agent_cannot_change_roles_through_the_api(bob, alice, api_client_for):
    response = api_client_for(bob).patch(f"/api/v1/users/{alice.pk}/", {"role": "agent"}, format="json")

    assert response.status_code == 403
    assert not RoleChange.objects.exists()


def test_agent_cannot_promote_themselves_through_the_api(bob, api_client_for):
    response = api_client_for(bob).patch(f"/api/v1/users/{bob.pk}/", {"role": "admin"}, format="json")

    assert response.status_code == 403
    bob.refresh_from_db()
    assert bob.role == Role.AGENT


def test_agent_sees_the_user_in_the_django_admin_but_cannot_edit_the_role(bob, alice, client_for):
    response = client_for(bob).get(reverse("admin:accounts_user_change", args=[alice.pk]))

    assert response.status_code == 200
    assert 'name="role"' not in response.content.decode()


def test_agent_cannot_change_roles_in_the_django_admin(bob, alice, client_for):
    response = change_in_admin(client_for(bob), alice, role=Role.AGENT)

    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.role == Role.REQUESTER
    assert not RoleChange.objects.exists()


def test_requester_cannot_change_roles_through_the_api(alice, mallory, api_client_for):
    response = api_client_for(alice).patch(f"/api/v1/users/{mallory.pk}/", {"role": "agent"}, format="json")

    assert response.status_code == 403
    assert not RoleChange.objects.exists()


def test_requester_cannot_reach_the_django_admin_user_page(alice, mallory, client_for):
    client = client_for(alice)

    response = change_in_admin(client, mallory, role=Role.AGENT)

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    assert client.get(response.url).status_code == 403  # signed in, but not staff: no admin sign-in either
    mallory.refresh_from_db()
    assert mallory.role == Role.REQUESTER
