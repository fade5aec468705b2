"""A requester's new name or address finds their tickets once an admin changes it, or they change their address
themselves, and the old one no longer does."""

from __future__ import annotations

from accounts.services import user_update
from tests.accounts.test_email_and_password_change import confirm_new_address, signed_in
from tests.search.helpers import found


def test_a_requester_renamed_through_the_api_is_found_by_the_new_name(api_client_for, carol, bob, alice, world, worker):
    with worker():
        response = api_client_for(carol).patch(f"/api/v1/users/{alice.pk}/", {"name": "Alice Nakamura"}, format="json")
    assert response.status_code == 200, response.content
    client = api_client_for(bob)

    assert found(client, "Nakamura") == [world.crash.pk, world.invoice.pk, world.printer.pk]
    assert found(client, "Requester", requester=str(alice.pk)) == []


def test_a_requester_with_a_new_address_is_found_by_it(api_client_for, carol, bob, alice, world, worker):
    with worker():
        user_update(user=alice, actor=carol, email="a.nakamura@contoso.test")  # what the admin's user form calls
    alices_tickets = [world.crash.pk, world.invoice.pk, world.printer.pk]
    client = api_client_for(bob)

    assert found(client, "a.nakamura@contoso.test") == alices_tickets
    assert found(client, "contoso") == alices_tickets
    assert found(client, "alice@example.com") == []


def test_a_requester_who_changes_their_own_address_is_found_by_it(
    api_client_for, bob, alice, world, worker, mailoutbox
):
    client = signed_in(alice)
    with worker():
        confirm_new_address(client, mailoutbox, "a.nakamura@contoso.test")  # the account's Email page
    alices_tickets = [world.crash.pk, world.invoice.pk, world.printer.pk]
    staff = api_client_for(bob)

    assert found(staff, "a.nakamura@contoso.test") == alices_tickets
    assert found(staff, "alice@example.com") == []
