"""Part of a requester's address that runs across the `@` ("alice@exam") finds their tickets, as the README promises
for one word of three letters or more inside a requester's address."""

from __future__ import annotations

from tests.search.helpers import found


def test_the_start_of_an_address_typed_past_the_at_sign_finds_the_requesters_tickets(api_client_for, bob, world):
    client = api_client_for(bob)

    assert found(client, "alice@exam") == [world.crash.pk, world.invoice.pk, world.printer.pk]
    assert found(client, "dana.okafor@north") == [world.vpn.pk]
    assert found(client, "okafor@northwind") == [world.vpn.pk]


def test_a_requester_finds_only_her_own_tickets_by_part_of_an_address(api_client_for, alice, mallory, world):
    assert found(api_client_for(alice), "alice@exam") == [world.crash.pk, world.invoice.pk, world.printer.pk]
    assert found(api_client_for(mallory), "alice@exam") == []
