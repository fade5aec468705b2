"""Every shape of query an agent types finds the ticket meant, on SQLite (FTS5) and PostgreSQL (full text)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import TestCase

from tests.conftest import billing_category, make_cast, support_team
from tests.search.conftest import make_dana, search_world
from tests.search.helpers import found
from tests.support.shared_data import rows_for_the_module


@pytest.fixture(scope="module")
def shared(django_db_setup: None, django_db_blocker: Any) -> Iterator[SimpleNamespace]:
    """The search world, built once for this module's tests, which only read it (tests/support/shared_data.py)."""
    with rows_for_the_module(django_db_blocker):
        cast = make_cast()
        category = billing_category(support_team(cast.bob))
        in_worker = partial(TestCase.captureOnCommitCallbacks, execute=True)  # the `worker` fixture's way
        world = search_world(cast.alice, cast.mallory, cast.bob, cast.carol, make_dana(), category, in_worker)
        yield SimpleNamespace(bob=cast.bob, world=world)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("printer jams", ["printer"]),  # words of the subject
        ("jams printer", ["printer"]),  # in any order
        ("printer floor double-sided", ["printer"]),  # not adjacent, from subject and description
        ("printer laptop", []),  # every word must match, not one of them
        ("PRINTER", ["printer"]),  # any case
        ("printing", ["printer"]),  # stemmed: print, prints, printing
        ("bulges", ["laptop"]),  # the description
        ("manual feed tray", ["printer"]),  # a public reply
        ("build-7731", ["crash"]),  # a form answer
        ("Okafor", ["vpn"]),  # the requester's name
        ("dana.okafor@northwind.test", ["vpn"]),  # the requester's address
        ("dana.okafor@", ["vpn"]),  # the start of the address
        ("northwind.test", ["vpn"]),  # the domain
        ("northw", ["vpn"]),  # part of the domain
        ('"third floor"', ["printer"]),  # a phrase
        ("printer -tray", []),  # leaving out a word
        ("laptop or vpn", ["vpn", "laptop"]),  # either word
        ("procurement", ["printer"]),  # an internal note, for staff
        ("printer procurement", ["printer"]),  # one word public, the other in a note
        ("a printer", ["printer"]),  # stop words are not searched for: "a" is in no ticket
        ("printer's tray", ["printer"]),  # nor is a possessive's "s"
        ('"the printer jams"', ["printer"]),  # a phrase's outer stop words are dropped too
        ("the", []),  # only stop words: nothing to search for
        ("laptop or the vpn", ["vpn", "laptop"]),  # a stop word in an alternative drops out of it
        ("laptop or -vpn", ["crash", "laptop", "invoice", "printer"]),  # laptop, or anything without vpn
        ("-laptop or printer", ["crash", "vpn", "invoice", "printer"]),
        ("- printer", ["printer"]),  # a minus with no word right after it is ignored
        ("printer - jams", ["printer"]),
        ("printer -) jams", ["printer"]),
        ("printer -", ["printer"]),
        ("printer --tray", []),  # minus signs before a word leave it out once, not twice
        ("-", ["crash", "vpn", "laptop", "invoice", "printer"]),  # nothing left: no search, as an empty box
        ("--", ["crash", "vpn", "laptop", "invoice", "printer"]),
        ("vpn-drops", ["vpn", "laptop"]),  # a hyphenated word is its parts as a phrase: "VPN drops", "vpn-drops"
        ('"vpn drops"', ["vpn", "laptop"]),
        ("vpn drops", ["vpn", "laptop"]),
        ("drops-vpn", []),  # in that order
        ("-vpn-drops", ["crash", "invoice", "printer"]),
        ("zebra", []),
        ('"', []),
        ("#", []),
        ("((", []),
        ("NEAR(a b)", []),
        ("* ^ :", []),
    ],
)
def test_staff_search_finds_tickets_by_every_kind_of_text(api_client_for, shared, query, expected):
    assert found(api_client_for(shared.bob), query) == [getattr(shared.world, name).pk for name in expected]


ODD_QUERIES = [
    "-",
    "--",
    '""',
    '"',
    "or",
    "a or",
    "or b",
    '-"x"',
    "#",
    "#-1",
    "#99999999999999999999",
    "99999999999999999999",
    "*",
    "^",
    "NEAR(a b)",
    "a:b",
    "(",
    "{subject}: x",
    "x AND OR NOT y",
    "-- - -",
    "a or -",
    "printer or -",
    "Ünïcødé ünd 日本語 🖨️ -ß",
    "\u202eprinter\ufeff",
    "x" * 500,
    "printer " * 70,
    '"' + "-x " * 160,
]


@pytest.mark.parametrize("query", ODD_QUERIES)
def test_no_query_text_is_an_error_in_the_api_or_the_queue(api_client_for, client_for, shared, query):
    api = api_client_for(shared.bob).get("/api/v1/tickets/", {"q": query})
    page = client_for(shared.bob).get("/staff/", {"q": query})

    assert api.status_code == 200, api.content
    assert page.status_code == 200


def test_hash_and_number_find_a_ticket_by_its_id(api_client_for, shared):
    client, world = api_client_for(shared.bob), shared.world

    assert found(client, f"#{world.laptop.pk}") == [world.laptop.pk]
    assert found(client, str(world.invoice.pk)) == [world.invoice.pk]
    assert found(client, "#999999") == []


def test_results_come_newest_first_and_combine_with_the_other_filters(api_client_for, shared):
    client, world = api_client_for(shared.bob), shared.world
    alices_tickets = [world.crash.pk, world.invoice.pk, world.printer.pk]

    assert found(client, "alice@example.com") == alices_tickets
    # Bob's public reply moved the printer ticket to open.
    assert found(client, "alice@example.com", status="new") == [world.crash.pk, world.invoice.pk]
    assert found(client, "alice@example.com", status="open") == [world.printer.pk]
    assert found(client, "alice@example.com", status="closed") == []
    assert found(client, "alice@example.com", ordering="created_at") == alices_tickets[::-1]


def test_the_staff_queue_searches_with_its_filters(client_for, shared):
    client = client_for(shared.bob)

    body = client.get("/staff/", {"q": "double-sided printer"}).content.decode()
    assert "Printer jams on the third floor" in body
    assert "Laptop battery swelling" not in body
    filtered = client.get("/staff/", {"q": "double-sided printer", "status": "closed"}).content.decode()
    assert "Printer jams on the third floor" not in filtered
