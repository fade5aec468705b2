"""A month of known tickets, made through the real services at known moments, with the figures worked out by hand.

The default calendar (sla migration 0002) is open Monday to Friday 9:00-17:00 UTC; the reports' days are UTC days.
March 2026: Monday the 2nd. The period is 1-30 March, so the previous period is 30 January - 28 February.

This period (created in March; all Support/Billing unless said):
  A  Mon 2 Mar 09:00, bob replies 09:10 (10 min), resolved 10:00 (60 min), rated good; assigned to bob
  B  Mon 2 Mar 09:00, bob replies 09:20 (20), resolved 10:30, alice replies 10:45 (reopened), resolved again
     11:00 (120); assigned to bob
  C  Tue 3 Mar 09:00, reply 09:30 (30), resolved 17:00 (480), rated bad
  D  Fri 6 Mar 16:30, team Sales / category Orders, channel email; reply Mon 9 Mar 09:30: 30 + 30 = 60 business
     minutes (2 days 17 hours on the wall clock); resolved Tue 10 Mar 10:30: 30 + 480 + 90 = 600
  E  Wed 4 Mar 09:00, reply 13:00 (240), left open (pending); assigned to bob
  F  Wed 4 Mar 10:00, no reply, left open
Previous period (created in February):
  G  Mon 2 Feb 09:00, reply 09:40 (40), resolved 10:00 (60)
  H  Mon 2 Feb 09:00, reply 10:00 (60), resolved 12:00 (180)

First response, this period: 10, 20, 30, 60, 240 (5 values). Median: rank (5-1)*0.5 = 2 -> 30.
  90th percentile: rank 4*0.9 = 3.6 -> 60 + 0.6*(240-60) = 168.
  Previous: 40, 60. Median: rank 0.5 -> 50; 90th: rank 0.9 -> 40 + 0.9*20 = 58.
Resolution, this period (solved in March): 60, 120, 480, 600. Median: rank 1.5 -> 120 + 0.5*360 = 300.
  90th: rank 2.7 -> 480 + 0.7*120 = 564.  Previous: 60, 180 -> median 120, 90th 60 + 0.9*120 = 168.
Team Support only: first response 10, 20, 30, 240 -> median rank 1.5 = 25; 90th rank 2.7 = 30 + 0.7*210 = 177.
Agent bob (assignee A, B, E): first response 10, 20, 240 -> median 20; 90th rank 1.8 = 20 + 0.8*220 = 196.
Reopen rate: 1 (B) of 4 solved in March = 25.0 %.  CSAT: A good, C bad = 50.0 %.
SLA (first response within 30 business minutes, normal priority): A, B, C met; D, E, F (never answered) breached:
  3 of 6 = 50.0 %.  February: G breached (40 > 30), H breached: 100.0 %.
Created this period 6 (web 5, email 1), previous 2. Solved this period 4, previous 2.
Open now: E pending, F new; by team Support 2.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from accounts.models import Role, User
from accounts.services import user_create
from csat.models import Rating, SatisfactionSurvey
from csat.services import survey_rate
from reports import services
from reports.selectors import ReportFilters
from sla.models import SlaPolicy, SlaTarget
from sla.services import sla_sweep
from tickets.models import Category, Channel, Priority, Status, Team, Ticket
from tickets.services import comment_create, ticket_change_status, ticket_create

PERIOD = ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 30))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass
class Month:
    tickets: dict[str, Ticket]
    bob: User
    dave: User
    support: Team
    sales: Team
    billing: Category
    orders: Category


@pytest.fixture
def month(alice: User, bob: User, carol: User, team: Team, category: Category) -> Iterator[Month]:
    dave = user_create(email="dave@example.com", password="x" * 20, name="Dave Agent", role=Role.AGENT)
    sales = Team.objects.create(name="Sales")
    orders = Category.objects.create(name="Orders", slug="orders", default_team=sales)
    policy = SlaPolicy.objects.create(name="Answer fast", position=1)
    SlaTarget.objects.create(policy=policy, priority=Priority.NORMAL, first_response_minutes=30)
    tickets: dict[str, Ticket] = {}

    with time_machine.travel(utc(2026, 2, 2, 9, 0), tick=False) as traveller:

        def at(*moment: int) -> None:
            traveller.move_to(utc(*moment))

        def run(function, /, *args, **kwargs):
            # The events' handlers do not run here (the test's transaction never commits, except in browser tests):
            # the fixture is quick, and the backfill below computes the metrics. test_metrics_kept_by_events.py
            # runs the handlers.
            return function(*args, **kwargs)

        def new(name: str, **kwargs) -> None:
            kwargs.setdefault("category", category)
            tickets[name] = run(ticket_create, requester=alice, actor=bob, subject=name, **kwargs)

        def reply(name: str, author: User = bob) -> None:
            run(comment_create, ticket=tickets[name], author=author, body="Hello")

        def status(name: str, value: str, actor: User = bob) -> None:
            tickets[name] = run(ticket_change_status, ticket=tickets[name], actor=actor, status=value)

        # February
        at(2026, 2, 2, 9, 0)
        new("G")
        new("H")
        at(2026, 2, 2, 9, 40)
        reply("G")
        at(2026, 2, 2, 10, 0)
        reply("H")
        status("G", Status.RESOLVED)
        at(2026, 2, 2, 12, 0)
        status("H", Status.RESOLVED)
        # March
        at(2026, 3, 2, 9, 0)
        new("A", assignee=bob)
        new("B", assignee=bob)
        at(2026, 3, 2, 9, 10)
        reply("A")
        at(2026, 3, 2, 9, 20)
        reply("B")
        at(2026, 3, 2, 10, 0)
        status("A", Status.RESOLVED)
        at(2026, 3, 2, 10, 30)
        status("B", Status.RESOLVED)
        at(2026, 3, 2, 10, 45)
        reply("B", author=alice)  # reopens it
        at(2026, 3, 2, 11, 0)
        status("B", Status.RESOLVED)
        at(2026, 3, 3, 9, 0)
        new("C")
        at(2026, 3, 3, 9, 30)
        reply("C")
        at(2026, 3, 3, 17, 0)
        status("C", Status.RESOLVED, actor=dave)
        at(2026, 3, 4, 9, 0)
        new("E", assignee=bob)
        at(2026, 3, 4, 10, 0)
        new("F")
        at(2026, 3, 4, 13, 0)
        reply("E")
        status("E", Status.PENDING)
        at(2026, 3, 6, 16, 30)
        new("D", category=orders, team=sales, channel=Channel.EMAIL)
        at(2026, 3, 9, 9, 30)
        reply("D", author=dave)
        at(2026, 3, 10, 10, 30)
        status("D", Status.RESOLVED, actor=dave)
        at(2026, 3, 10, 11, 0)
        for name, rating in (("A", Rating.GOOD), ("C", Rating.BAD)):  # within the days a rating may be given
            # (asked already when the handlers did run: in a browser test, whose changes do commit)
            survey, _ = SatisfactionSurvey.objects.get_or_create(
                ticket=tickets[name], resolved_at=tickets[name].resolved_at
            )
            traveller.move_to(survey.resolved_at + timedelta(hours=1))
            run(survey_rate, survey=survey, rating=rating, actor=alice)
        at(2026, 3, 10, 11, 0)
        run(sla_sweep)  # records F's missed first response, as the beat task would
        at(2026, 3, 30, 12, 0)
        services.ticket_metrics_backfill()
        services.rollups_backfill()
        yield Month(tickets=tickets, bob=bob, dave=dave, support=team, sales=sales, billing=category, orders=orders)
