"""A number in the text is found on its own even after a hyphen ("ORD-12345", "build-7731"), on PostgreSQL as on
SQLite: the README's "a bare `123` is that ticket or the number in the text"."""

from __future__ import annotations

import pytest

from accounts.services import user_create
from tests.search.helpers import found
from tickets.services import ticket_create


def test_a_number_written_after_a_hyphen_finds_its_ticket(api_client_for, alice, bob, world, worker):
    with worker():
        order = ticket_create(requester=alice, subject="Refund for ORD-88231", description="Error E-4107 at checkout.")
    client = api_client_for(bob)

    assert found(client, "88231") == [order.pk]
    assert found(client, "4107 checkout") == [order.pk]
    assert found(client, "7731") == [world.crash.pk]  # a form answer: "build-7731"
    assert found(client, "ORD-88231") == [order.pk]  # written as in the text, too
    assert found(client, "refund -88231") == []


def test_leaving_out_a_hyphenated_number_leaves_out_only_that_one(api_client_for, bob, world):
    client = api_client_for(bob)

    assert found(client, "-build-7731") == [world.vpn.pk, world.laptop.pk, world.invoice.pk, world.printer.pk]
    assert found(client, '"build-7731"') == [world.crash.pk]


@pytest.mark.parametrize(
    ("email", "name", "queries"),
    [
        ("team-1@acme.test", "Team-7 Desk", ["team-1@acme.test refund", "Team-7 refund"]),
        (
            "help-desk@acme.test",
            "Help-Desk Team",
            ["help-desk@acme.test refund", "help-desk@ refund", "Help-Desk refund", "help desk refund"],
        ),
    ],
)
def test_an_address_or_name_with_a_hyphen_is_found_with_other_words(api_client_for, bob, worker, email, name, queries):
    requester = user_create(email=email, name=name)
    with worker():
        refund = ticket_create(requester=requester, subject="Refund please", description="Charged twice.")
    client = api_client_for(bob)

    for query in queries:
        assert found(client, query) == [refund.pk], query
