"""An unfiltered page of the ticket list, for someone who sees every ticket, is a prepared statement on PostgreSQL:
its only value is the page's position in the sort's index, so one plan is right for every request. A filtered page,
or a requester's, is planned for its values on each request (helpdesk.sql.prepared_statements)."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.helpdesk.test_sql import _prepared_statements
from tickets.services import ticket_create

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL only")

URL = "/api/v1/tickets/"


def test_an_agents_unfiltered_pages_are_prepared_and_the_others_are_not(api_client_for, alice, bob, ticket, team):
    agent, requester = api_client_for(bob), api_client_for(alice)
    unfiltered = agent.get(URL).json()["results"]

    for _ in range(connection.connection.prepare_threshold + 1):
        assert agent.get(URL).json()["results"] == unfiltered
        assert [row["id"] for row in agent.get(URL, {"ordering": "-priority"}).json()["results"]] == [ticket.pk]
        assert agent.get(URL, {"team": team.pk}).json()["results"] == unfiltered  # the ticket is the team's
        assert [row["id"] for row in requester.get(URL).json()["results"]] == [ticket.pk]

    pages = [statement for statement in _prepared_statements() if 'AS "tag_names" FROM "tickets_ticket"' in statement]
    assert any("ORDER BY 10 DESC, 1 DESC" in page for page in pages)
    assert any("ORDER BY 5 DESC" in page for page in pages)
    assert not any('"team_id" = $' in page or '"requester_id" = $' in page for page in pages)


def test_a_later_page_of_a_prepared_list_is_read_from_its_position(api_client_for, alice, bob, ticket):
    for number in range(3):
        ticket_create(requester=alice, actor=alice, subject=f"more {number}", description="d")
    client = api_client_for(bob)
    expected = [row["id"] for row in client.get(URL, {"page_size": 4}).json()["results"]]

    for _ in range(connection.connection.prepare_threshold + 1):
        first = client.get(URL, {"page_size": 2}).json()
        second = client.get(first["next"]).json()
        assert [row["id"] for row in first["results"] + second["results"]] == expected
