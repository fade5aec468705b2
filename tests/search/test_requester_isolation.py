"""A requester's search reads only what they may read: never an internal note, never anyone else's ticket."""

from __future__ import annotations

from tests.search.helpers import API, found


def test_a_word_only_in_an_internal_note_never_finds_the_requesters_ticket(api_client_for, alice, world):
    client = api_client_for(alice)

    assert found(client, "procurement") == []
    assert found(client, "printer procurement") == []  # not even with a word she can see beside it
    assert found(client, "printer") == [world.printer.pk]


def test_a_requesters_snippet_never_shows_internal_notes(api_client_for, alice, world):
    rows = api_client_for(alice).get(API, {"q": "printer"}).json()["results"]

    assert "printer" in rows[0]["snippet"]
    assert "procurement" not in rows[0]["snippet"] and "Supplier" not in rows[0]["snippet"]


def test_mallory_finds_nothing_of_alices_tickets(api_client_for, mallory, world):
    client = api_client_for(mallory)

    for query in ["printer", "alice@example.com", "alice@", "Alice", f"#{world.printer.pk}", str(world.invoice.pk)]:
        assert found(client, query) == [], query
    assert found(client, "laptop") == [world.laptop.pk]


def test_the_queue_shows_staff_the_internal_note_match(client_for, bob, world):
    body = client_for(bob).get("/staff/", {"q": "procurement"}).content.decode()

    assert "Printer jams on the third floor" in body
    assert "<mark>procurement</mark>" in body
