"""Accents and the parts of addresses, paths and version numbers find the same tickets on PostgreSQL as on SQLite:
`cafe` finds "Café", `wiki` finds "https://intranet.example.com/wiki/Page", `1.2` finds "1.2.3", `jose@example.com`
finds "josé@example.com"."""

from __future__ import annotations

import pytest

from accounts.services import user_create
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


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("https://vpn.example.com/login fails", "https"),
        ("https://vpn.example.com/login fails", "https://vpn.example.com/login"),
        ("https://vpn.example.com/login fails", "vpn.example.com"),
        ("https://vpn.example.com/login fails", "login"),
        ("https://bob@vpn.example.com/login fails", "vpn.example.com"),
        ("https://bob@vpn.example.com/login fails", "bob"),
        ("https://bob@vpn.example.com/login fails", "https://bob@vpn.example.com/login"),
        ("http://vpn.example.com/~bob/login fails", "bob"),
        ("http://vpn.example.com/~bob/login fails", "bob/login"),
        ("ftp://files.example.org/pub/notes.txt fails", "ftp"),
        ("ftp://files.example.org/pub/notes.txt fails", "notes.txt"),
    ],
)
def test_a_urls_scheme_host_user_and_path_find_the_ticket(api_client_for, alice, bob, worker, text, query):
    with worker():
        ticket = ticket_create(requester=alice, subject="Sign-in", description=text)

    assert found(api_client_for(bob), query) == [ticket.pk]


@pytest.mark.parametrize(
    ("text", "query"),
    [
        # A URL or a time typed with its colon is one phrase: its parts apart, or out of order, do not find it.
        ("ftp://vpn.example.com/login, and https elsewhere", "https://vpn.example.com/login"),
        ("from 10 to 11, back at 30:00", "10:30"),
    ],
)
def test_a_query_with_a_colon_is_one_phrase(api_client_for, alice, bob, worker, text, query):
    with worker():
        ticket_create(requester=alice, subject="Sign-in", description=text)

    assert found(api_client_for(bob), query) == []


@pytest.mark.parametrize(
    ("written", "query"),
    [
        ("josé@example.com", "jose@example.com"),
        ("jose@example.com", "josé@example.com"),
        ("josé@example.com", "josé@example.com"),
        ("josé@example.com", "JOSE@example.com"),
    ],
)
def test_an_address_is_found_with_or_without_its_accents(api_client_for, alice, bob, worker, written, query):
    requester = user_create(email=written, name="Someone Else")
    with worker():
        by_requester = ticket_create(requester=requester, subject="Hello", description="Nothing else.")
        by_text = ticket_create(requester=alice, subject="Forward", description=f"Send it to {written} please.")
    client = api_client_for(bob)

    assert found(client, query) == [by_text.pk, by_requester.pk]
    assert found(api_client_for(requester), query) == [by_requester.pk]


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
