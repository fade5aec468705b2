"""The PostgreSQL benches load their rows with plain SQL (bench/pg_data.py and what it calls, bench/search_load.py,
bench/sla_data.py, bench/report_data.py), which the ORM's defaults don't reach: a column added without a database
default breaks `make bench` on a new machine. These load a few rows with that very SQL, through the functions the
benches call, into the migrated test database, so such a column fails here first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Role, User
from bench import pg_data, report_data, search_data, search_load, sla_data
from csat.models import SatisfactionSurvey
from reports.models import DailyRollup, TicketMetrics
from search.models import TicketDocument
from search.selectors import _search_query
from sla.models import SlaClock
from tickets.models import OPEN_STATUSES, Category, Comment, Team, Ticket

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's SQL: set DATABASE_URL to a PostgreSQL database"
)

# Large enough that search_data marks some tickets with its rare word (ids ending in 7, one in SIZE // 20).
SIZE = 200


@pytest.fixture(autouse=True)
def constraints_checked_per_statement(db: None) -> None:
    # The benches load outside a transaction (or commit before building the search indexes); in the test's
    # transaction the foreign keys' deferred checks would pile up, and CREATE INDEX refuses to run with checks pending.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def quiet(line: str) -> None:
    pass


def desk_insert() -> None:
    with connection.cursor() as cursor:
        pg_data.desk_insert(cursor, SIZE)


@pytest.mark.django_db
def test_the_postgres_bench_loads_its_desk_into_the_current_schema():
    desk_insert()
    pg_data.fill_requester_replies(log=quiet)
    pg_data.fill_surveys(log=quiet)

    bench_users = User.objects.filter(email__endswith="@bench.test")
    assert bench_users.filter(role=Role.AGENT).count() == pg_data.AGENTS
    assert bench_users.filter(role=Role.REQUESTER).count() == 10
    assert all(user.zone for user in bench_users)
    assert Ticket.objects.count() == SIZE
    open_ticket = Ticket.objects.filter(status="open").order_by("-created_at").first()
    assert open_ticket.team_id and open_ticket.category_id and open_ticket.tags.exists()  # pg_data.fixed_points
    assert Comment.objects.filter(body__startswith="Thanks for the report").count() == SIZE
    assert Comment.objects.filter(body=pg_data.REPLY_BODY).exists()
    resolved = Ticket.objects.filter(resolved_at__isnull=False)
    assert SatisfactionSurvey.objects.count() == resolved.count() > 0
    assert SatisfactionSurvey.objects.filter(rating="good").exists()


@pytest.mark.django_db
def test_the_postgres_bench_puts_its_desk_under_an_sla_policy():
    desk_insert()
    pg_data.fill_sla_clocks(log=quiet)

    assert SlaClock.objects.count() == 2 * SIZE
    assert SlaClock.objects.filter(policy__name="Bench standard", calendar__isnull=False).count() == 2 * SIZE
    running = SlaClock.objects.filter(ticket__status__in=OPEN_STATUSES, metric="resolution", stopped_at__isnull=True)
    assert running.count() == Ticket.objects.filter(status__in=OPEN_STATUSES).count() > 0


@pytest.mark.django_db
def test_the_postgres_bench_builds_the_search_documents_of_its_desk():
    desk_insert()
    with connection.cursor() as cursor:
        search_data.rare_word_mark(cursor)
        search_data.documents_build(cursor)

    assert TicketDocument.objects.count() == SIZE
    assert not TicketDocument.objects.filter(public_vector__isnull=True).exists()
    rare = TicketDocument.objects.filter(public_vector=_search_query(search_data.RARE_WORD))
    assert rare.count() == Ticket.objects.filter(description__contains=search_data.RARE_WORD).count() > 0
    assert TicketDocument.objects.filter(public_vector=_search_query(search_data.COMMON_WORD)).exists()


@pytest.mark.django_db
def test_the_postgres_bench_fills_the_report_metrics_of_its_desk():
    desk_insert()
    report_data.fill_report_metrics(log=quiet)

    assert TicketMetrics.objects.count() == SIZE
    assert TicketMetrics.objects.filter(solved_at__isnull=False, resolution_minutes__gt=0).exists()
    assert DailyRollup.objects.exists()


@pytest.mark.django_db
def test_the_search_bench_loads_its_tickets_into_the_current_schema():
    with connection.cursor() as cursor:
        # Two batches: the second's comments and documents are its own tickets'.
        search_load.rows_insert(cursor, have=0, size=30, requesters=50, batch=20)

    requesters = User.objects.filter(role=Role.REQUESTER)
    assert requesters.count() == 50
    assert all(user.zone for user in requesters)
    assert User.objects.filter(role=Role.AGENT).count() == 1
    assert Ticket.objects.count() == 30
    assert Comment.objects.count() == 30
    assert TicketDocument.objects.filter(public_vector__isnull=False).count() == 30
    common = TicketDocument.objects.filter(public_vector=_search_query(search_load.COMMON_WORD))
    assert common.count() >= 10  # in the subject of every third ticket


@pytest.mark.django_db
def test_the_sla_bench_loads_its_tickets_and_clocks_into_the_current_schema():
    now = timezone.now()
    sla_data.sla_seed_postgres(now=now, tickets=10, due=3)

    assert Ticket.objects.filter(status="open").count() == 10
    assert SlaClock.objects.count() == 20
    assert SlaClock.objects.filter(next_check_at__lte=now).count() == 6  # what the sweep reads


@pytest.mark.django_db
def test_the_reports_bench_loads_its_tickets_and_metrics_into_the_current_schema():
    # Users, teams and categories as bench_reports.seed makes them (through the ORM), the tickets in its SQL.
    requester = User.objects.create_user("requester@bench.test", "x", name="Requester")
    agents = [User.objects.create_user(f"agent{i}@bench.test", "x", role=Role.AGENT) for i in range(3)]
    teams = [Team.objects.create(name=f"Team {i}") for i in range(2)]
    categories = [Category.objects.create(name=f"Category {i}", slug=f"category-{i}") for i in range(2)]
    with connection.cursor() as cursor:
        report_data.report_tickets_insert(
            cursor,
            tickets=50,
            open_tickets=10,
            days=30,
            now=timezone.now(),
            requester=requester,
            agents=agents,
            teams=teams,
            categories=categories,
        )
    report_data.fill_report_metrics(log=quiet)

    assert Ticket.objects.filter(status="resolved", resolved_at__isnull=False).count() == 40
    assert Ticket.objects.filter(created_at__lt=timezone.now() - timedelta(days=29)).exists()
    assert TicketMetrics.objects.count() == 50
    assert DailyRollup.objects.exists()
