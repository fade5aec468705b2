"""`-"a phrase"` leaves out the tickets with that phrase, on SQLite as on PostgreSQL (websearch_to_tsquery)."""

from __future__ import annotations

from tests.search.helpers import found


def test_a_minus_before_a_quoted_phrase_leaves_out_tickets_with_the_phrase(api_client_for, bob, world):
    client = api_client_for(bob)

    # The printer ticket has "manual feed tray" in a public reply.
    assert found(client, 'printer -"manual feed"') == []
    assert found(client, '-"manual feed" printer') == []
    assert found(client, 'printer -"feed manual"') == [world.printer.pk]  # the words, but not the phrase


def test_a_requester_leaving_out_a_phrase_gets_the_other_tickets(api_client_for, alice, world):
    assert found(api_client_for(alice), 'alice@example.com -"manual feed"') == [world.crash.pk, world.invoice.pk]
