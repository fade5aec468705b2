"""Accents and the parts of addresses, paths and version numbers find the same tickets on PostgreSQL as on SQLite:
`cafe` finds "Café", `wiki` finds "https://intranet.example.com/wiki/Page", `1.2` finds "1.2.3"."""

from __future__ import annotations

import pytest

from tests.search.helpers import API, found
from tickets.services import ticket_create


@pytest.fixture
def cafe(alice, worker):
    with worker():
        return ticket_create(
            requester=alice, subject="Café order", description="The café lost my résumé and the crème brûlée."
        )


@pytest.fixture
def wiki(alice, worker):
    with worker():
        return ticket_create(
            requester=alice,
            subject="Broken link",
            description="See https://intranet.example.com/wiki/Page and run /usr/local/bin/tool on release 1.2.3.",
        )


@pytest.mark.parametrize("query", ["cafe", "resume", "creme brulee", "Café résumé", "CAFE", '"creme brulee"'])
def test_words_are_found_with_or_without_their_accents(api_client_for, bob, cafe, query):
    assert found(api_client_for(bob), query) == [cafe.pk]


@pytest.mark.parametrize(
    "query",
    [
        "wiki",
        "intranet",
        "example",
        "page wiki",
        "intranet.example.com",
        "https://intranet.example.com/wiki/Page",
        "tool",
        "bin",
        "/usr/local/bin/tool",
        "local/bin",
        "1.2",
        "2.3",
        "1.2.3",
        "3",
    ],
)
def test_a_part_of_an_address_a_path_or_a_version_finds_the_ticket(api_client_for, bob, wiki, query):
    assert found(api_client_for(bob), query) == [wiki.pk]


@pytest.mark.parametrize("query", ["-wiki", "1.3", "bin/local", "wiki.example.com", "3.2"])
def test_parts_out_of_their_order_or_left_out_do_not_find_it(api_client_for, bob, wiki, query):
    assert found(api_client_for(bob), query) == []


def test_an_email_address_in_the_text_is_still_found_as_a_whole(api_client_for, alice, bob, worker):
    with worker():
        mine = ticket_create(requester=alice, subject="Forward", description="Send it to me@example.com please.")
        other = ticket_create(requester=alice, subject="Forward", description="Send it to you@example.com please.")
    client = api_client_for(bob)

    assert found(client, "me@example.com") == [mine.pk]
    assert found(client, "you@example.com forward") == [other.pk]


def test_the_snippet_highlights_the_accented_word_and_the_part_of_the_path(api_client_for, bob, cafe, wiki):
    client = api_client_for(bob)

    accented = client.get(API, {"q": "resume"}).json()["results"][0]["snippet"]
    path = client.get(API, {"q": "tool"}).json()["results"][0]["snippet"]

    assert "<mark>résumé</mark>" in accented
    assert "/usr/local/bin/<mark>tool</mark>" in path
    assert "https://intranet.example.com/wiki/Page" in path  # shown as written
