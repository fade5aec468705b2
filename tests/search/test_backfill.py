"""`manage.py search_backfill` indexes tickets that existed before search (or whose events were never handled)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from search.models import TicketDocument
from tests.search.helpers import found
from tickets.models import Ticket
from tickets.services import ticket_create


def backfill(*args: str) -> str:
    out = StringIO()
    call_command("search_backfill", *args, stdout=out)
    return out.getvalue()


def test_backfill_indexes_every_ticket_in_batches(api_client_for, alice, bob):
    tickets = [ticket_create(requester=alice, subject=f"Scanner {n} offline") for n in range(5)]

    output = backfill("--batch-size", "2")

    assert "Indexed 5 tickets" in output
    assert TicketDocument.objects.count() == 5
    assert found(api_client_for(bob), "scanner offline") == [ticket.pk for ticket in reversed(tickets)]


def test_a_second_run_goes_on_where_the_first_stopped(alice):
    tickets = [ticket_create(requester=alice, subject=f"Scanner {n} offline") for n in range(4)]
    backfill("--all", "--after", str(tickets[1].pk))  # as if a first run had stopped after two tickets
    assert set(TicketDocument.objects.values_list("ticket_id", flat=True)) == {tickets[2].pk, tickets[3].pk}

    output = backfill()

    assert "Indexed 2 tickets" in output
    assert TicketDocument.objects.count() == 4
    assert "Indexed 0 tickets" in backfill()


def test_backfill_all_rewrites_stale_documents(api_client_for, alice, bob):
    ticket = ticket_create(requester=alice, subject="Scanner offline")
    backfill()
    Ticket.objects.filter(pk=ticket.pk).update(subject="Plotter offline")  # changed behind the worker's back

    backfill("--all")

    assert found(api_client_for(bob), "plotter") == [ticket.pk]
    assert found(api_client_for(bob), "scanner") == []


def test_missing_documents_are_found_with_an_anti_join_not_a_not_in(alice):
    """`NOT IN (SELECT ...)` cannot become an anti-join on PostgreSQL: past work_mem it checks every ticket against
    every document (it ran for minutes on a million tickets). NOT EXISTS is a merge or hash anti-join."""
    ticket_create(requester=alice, subject="Scanner offline")

    with CaptureQueriesContext(connection) as queries:
        backfill()

    reads = [query["sql"] for query in queries.captured_queries if "search_ticketdocument" in query["sql"]]
    assert any("NOT EXISTS" in sql for sql in reads)
    assert not any(" IN (SELECT" in sql for sql in reads)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's text search configurations")
def test_backfill_gives_a_search_language_of_ones_own_its_accent_insensitive_copy(api_client_for, alice, bob, settings):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEXT SEARCH CONFIGURATION helpdesk_own (COPY = english)")
    settings.SEARCH_LANGUAGE = "helpdesk_own"
    ticket = ticket_create(requester=alice, subject="Café closed")

    backfill()

    assert found(api_client_for(bob), "cafe") == [ticket.pk]
