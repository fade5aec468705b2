"""Accents and the parts of addresses, paths and version numbers find the same tickets on PostgreSQL as on SQLite:
`cafe` finds "Café", `wiki` finds "https://intranet.example.com/wiki/Page", `1.2` finds "1.2.3", `jose@example.org`
finds the tickets of josé@example.org."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.services import user_create
from tests.search.helpers import API, found
from tests.support.html import shown_text
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


@pytest.fixture
def accented_requesters(worker) -> dict[str, str]:
    """The subject of the ticket of each requester with an accented address, by the address."""
    subjects = {
        "josé@example.org": "Printer jams",
        "renée.dupont@example.org": "Scanner offline",
        "müller@exämple.de": "Badge expired",
    }
    with worker():
        for address, subject in subjects.items():
            ticket_create(requester=user_create(email=address, name="Requester"), subject=subject)
    return subjects


ADDRESSES_WITHOUT_THEIR_ACCENTS = [
    ("jose@example.org", "josé@example.org"),
    ("JOSE@EXAMPLE.ORG", "josé@example.org"),
    ("renee.dupont@example.org", "renée.dupont@example.org"),
    ("muller@example.de", "müller@exämple.de"),
]


@pytest.mark.parametrize(("query", "address"), ADDRESSES_WITHOUT_THEIR_ACCENTS)
def test_a_requesters_address_written_without_its_accents_finds_their_tickets(
    api_client_for, bob, accented_requesters, query, address
):
    results = api_client_for(bob).get(API, {"q": query}).json()["results"]

    assert [row["subject"] for row in results] == [accented_requesters[address]]


@pytest.mark.parametrize(("query", "address"), ADDRESSES_WITHOUT_THEIR_ACCENTS)
def test_the_staff_queue_finds_them_too(client_for, bob, accented_requesters, query, address):
    page = shown_text(client_for(bob).get(reverse("staff_queue"), {"q": query}).content.decode())

    assert "1 ticket" in page
    assert accented_requesters[address] in page
