"""A query that only leaves words out (`-laptop`) finds every other ticket, on SQLite as on PostgreSQL."""

from __future__ import annotations

from tests.search.helpers import found


def test_staff_leaving_out_words_find_every_other_ticket(api_client_for, bob, world):
    client = api_client_for(bob)

    assert found(client, "-laptop") == [world.crash.pk, world.vpn.pk, world.invoice.pk, world.printer.pk]
    assert found(client, "-laptop -vpn") == [world.crash.pk, world.invoice.pk, world.printer.pk]
    assert found(client, '-"third floor"') == [world.crash.pk, world.vpn.pk, world.laptop.pk, world.invoice.pk]
    assert found(client, "-procurement") == [world.crash.pk, world.vpn.pk, world.laptop.pk, world.invoice.pk]


def test_a_requester_leaving_out_a_word_of_an_internal_note_still_gets_that_ticket(api_client_for, alice, world):
    client = api_client_for(alice)

    assert found(client, "-printer") == [world.crash.pk, world.invoice.pk]
    # The internal note is not hers to search: it can neither find nor hide her ticket.
    assert found(client, "-procurement") == [world.crash.pk, world.invoice.pk, world.printer.pk]
