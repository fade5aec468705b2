"""Part of a requester's address that runs across the `@` ("alice@exam") finds their tickets, as the README promises
for one word of three letters or more inside a requester's address."""

from __future__ import annotations

from accounts.services import user_create
from tests.search.helpers import found
from tickets.services import ticket_create


def test_the_start_of_an_address_typed_past_the_at_sign_finds_the_requesters_tickets(api_client_for, bob, world):
    client = api_client_for(bob)

    assert found(client, "alice@exam") == [world.crash.pk, world.invoice.pk, world.printer.pk]
    assert found(client, "dana.okafor@north") == [world.vpn.pk]
    assert found(client, "okafor@northwind") == [world.vpn.pk]


def test_a_requester_finds_only_her_own_tickets_by_part_of_an_address(api_client_for, alice, mallory, world):
    assert found(api_client_for(alice), "alice@exam") == [world.crash.pk, world.invoice.pk, world.printer.pk]
    assert found(api_client_for(mallory), "alice@exam") == []


def test_a_requester_named_with_a_stop_word_is_found_by_it(api_client_for, bob, worker):
    # "will" is an English stop word: no text matches it, on either database, but the requester's name still does.
    will = user_create(email="wturner@example.org", name="Will Turner")
    with worker():
        ticket = ticket_create(requester=will, subject="Refund please", description="Charged twice.")

    assert found(api_client_for(bob), "will") == [ticket.pk]
