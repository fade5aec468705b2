"""Each list row says whether its ticket has a survey or running SLA clocks (tickets.selectors.ticket_row_extras) with
one index lookup per row of the page, on PostgreSQL, whatever the filters.

Written as EXISTS, the planner also planned each flag as a hash of the whole table and chose that one when it
expected to test more rows than the page holds: once every resolved ticket had its survey, a filtered list read
the whole survey table on every page (bench/README.md, tenth session)."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.queues.test_indexes_postgres import desk_of_closed_work
from tickets.models import Ticket
from tickets.selectors import ticket_list_rows

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a PostgreSQL plan: set DATABASE_URL to a PostgreSQL database"
)


def surveys_and_clocks_of_closed_work() -> None:
    """A survey for every closed ticket, as every resolution asks for one; a stopped SLA clock for each too."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO csat_satisfactionsurvey (ticket_id, resolved_at, requested_at, rating, comment)
            SELECT id, updated_at, updated_at, '', '' FROM tickets_ticket WHERE status = 'closed'
            """
        )
        cursor.execute(
            """
            INSERT INTO sla_slaclock (ticket_id, metric, started_at, elapsed, counted_until, paused, stopped_at)
            SELECT id, 'resolution', created_at, interval '0', updated_at, false, updated_at
            FROM tickets_ticket WHERE status = 'closed'
            """
        )
        cursor.execute("ANALYZE csat_satisfactionsurvey")
        cursor.execute("ANALYZE sla_slaclock")


def test_a_filtered_page_looks_up_each_row_s_survey_and_clocks_rather_than_reading_every_one(alice, bob):
    desk_of_closed_work(alice, bob)
    surveys_and_clocks_of_closed_work()
    rows = ticket_list_rows(bob, with_clocks=True).filter(status="closed", assignee__isnull=True)

    page = rows.order_by("-created_at", "-id")[:26].explain()

    assert "Seq Scan on csat_satisfactionsurvey" not in page
    assert "Seq Scan on sla_slaclock" not in page
    assert "Index Scan using csat_ticket" in page


def test_the_flags_say_which_rows_have_a_survey_or_a_running_clock(alice, bob):
    from csat.models import SatisfactionSurvey
    from sla.models import SlaClock

    desk_of_closed_work(alice, bob)
    newest, closed = Ticket.objects.order_by("-id")[0], Ticket.objects.filter(status="closed").order_by("-id")[0]
    SatisfactionSurvey.objects.create(ticket=closed, resolved_at=closed.updated_at)
    SlaClock.objects.create(
        ticket=newest, metric="resolution", started_at=newest.created_at, counted_until=newest.created_at
    )

    flags = {
        row["id"]: (row["has_survey"], row["has_running_clocks"])
        for row in ticket_list_rows(bob, with_clocks=True).filter(pk__in=[newest.pk, closed.pk])
    }

    assert flags == {newest.pk: (False, True), closed.pk: (True, False)}
