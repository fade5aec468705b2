"""Time-based rules are evaluated by the worker on their own, once per ticket per condition episode."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time

import psycopg.errors
import pytest
import time_machine
from celery.exceptions import SoftTimeLimitExceeded
from django.core import mail
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

import automations.services
from automations.models import Outcome, Rule, RuleRun, TimeBase, TimeRuleFiring, Trigger
from automations.services import time_rules_run
from sla.models import BusinessCalendar, OpeningHours, TeamCalendar
from tests.sla.conftest import berlin
from tickets.models import Priority, Status, Team
from tickets.services import comment_create, ticket_change_status, ticket_create


@pytest.fixture
def unassigned_after_30_minutes(make_rule) -> Callable[..., Rule]:
    """A time rule on tickets still unassigned 30 minutes after they were opened, leaving a note; `conditions` adds
    to "unassigned"."""

    def make(conditions: dict[str, str], note: str, **fields: object) -> Rule:
        return make_rule(
            trigger=Trigger.TIME,
            conditions={"assignee": "none", **conditions},
            time_base=TimeBase.CREATED,
            after_minutes=30,
            internal_note=note,
            **fields,
        )

    return make


def close_after_a_week_in(make_rule, status: str, *, name: str) -> Rule:
    """A time rule closing tickets that have been in `status` for seven days."""
    return make_rule(
        name=name,
        trigger=Trigger.TIME,
        conditions={"status": status},
        time_base=TimeBase.STATUS,
        after_minutes=7 * 24 * 60,
        set_status=Status.CLOSED,
    )


def chase_after_a_business_day_pending(make_rule) -> Rule:
    """A time rule noting tickets pending for one business day (eight opening hours)."""
    return make_rule(
        name="Chase",
        trigger=Trigger.TIME,
        conditions={"status": "pending"},
        time_base=TimeBase.STATUS,
        after_minutes=8 * 60,
        business_hours=True,
        internal_note="Pending for a business day.",
    )


def test_a_time_rule_fires_without_any_change_to_the_ticket_freescout_971(
    alice, bob, category, make_rule, django_capture_on_commit_callbacks
):
    close_after_a_week_in(make_rule, "resolved", name="Close resolved")
    with time_machine.travel(datetime(2026, 5, 1, 12, 0, tzinfo=UTC), tick=False) as traveller:
        ticket = ticket_create(requester=alice, subject="Invoice", category=category)
        ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED)
        traveller.move_to(datetime(2026, 5, 8, 11, 59, tzinfo=UTC))
        assert time_rules_run() == 0
        traveller.move_to(datetime(2026, 5, 8, 12, 0, tzinfo=UTC))
        assert time_rules_run() == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_a_time_rule_fires_exactly_once_after_a_worker_restart(alice, bob, category, unassigned_after_30_minutes):
    rule = unassigned_after_30_minutes({"status": "new"}, "Unassigned for 30 minutes.")
    with time_machine.travel(datetime(2026, 5, 1, 12, 0, tzinfo=UTC), tick=False) as traveller:
        ticket = ticket_create(requester=alice, subject="Invoice", category=category)
        traveller.move_to(datetime(2026, 5, 1, 12, 31, tzinfo=UTC))
        assert time_rules_run() == 1
        # The worker restarts and its schedule runs the task again, twice, later on.
        assert time_rules_run() == 0
        traveller.move_to(datetime(2026, 5, 1, 14, 0, tzinfo=UTC))
        assert time_rules_run() == 0
    assert ticket.comments.count() == 1
    assert TimeRuleFiring.objects.filter(rule=rule, ticket=ticket).count() == 1


def test_each_new_episode_fires_again(alice, bob, category, make_rule, office, django_capture_on_commit_callbacks):
    make_rule(
        name="Remind",
        trigger=Trigger.TIME,
        conditions={"status": "pending"},
        time_base=TimeBase.STATUS,
        after_minutes=5 * 8 * 60,  # five business days of eight hours
        business_hours=True,
        notify="requester",
        notification_body="We are waiting for your answer on {{ ticket.subject }}.",
    )
    with time_machine.travel(berlin(2026, 3, 2, 9, 0), tick=False) as traveller:
        ticket = ticket_create(requester=alice, subject="Invoice", category=category)
        ticket_change_status(ticket=ticket, actor=bob, status=Status.PENDING)
        traveller.move_to(berlin(2026, 3, 8, 20, 0))  # Sunday evening: Monday to Friday, 5 x 8 h, have passed
        with django_capture_on_commit_callbacks(execute=True):
            assert time_rules_run() == 1
        reminders = [m for m in mail.outbox if "waiting for your answer" in m.body]
        assert len(reminders) == 1
        comment_create(ticket=ticket, author=alice, body="Here it is.")
        ticket_change_status(ticket=ticket, actor=bob, status=Status.PENDING)  # a new episode
        traveller.move_to(berlin(2026, 3, 12, 9, 0))
        assert time_rules_run() == 0  # only three business days into this one
        traveller.move_to(berlin(2026, 3, 16, 9, 0))
        with django_capture_on_commit_callbacks(execute=True):
            assert time_rules_run() == 1
    assert RuleRun.objects.filter(outcome=Outcome.FIRED).count() == 2


def test_a_time_rule_without_a_status_condition_leaves_closed_tickets_alone(
    alice, bob, category, unassigned_after_30_minutes
):
    # The model's own example of a time rule: "unassigned and urgent for 30 minutes since opened".
    rule = unassigned_after_30_minutes(
        {"priority": "urgent"}, "Urgent and still unassigned after 30 minutes.", name="Unassigned urgent"
    )
    with time_machine.travel(datetime(2026, 5, 1, 12, 0, tzinfo=UTC), tick=False) as traveller:
        ticket = ticket_create(requester=alice, actor=bob, subject="Down", category=category, priority=Priority.URGENT)
        traveller.move_to(datetime(2026, 5, 1, 12, 5, tzinfo=UTC))
        ticket_change_status(ticket=ticket, actor=bob, status=Status.CLOSED)  # a duplicate, closed at once
        traveller.move_to(datetime(2026, 5, 2, 12, 0, tzinfo=UTC))
        assert time_rules_run() == 0
    assert not ticket.comments.exists()
    assert not RuleRun.objects.filter(rule=rule).exists()


def test_tickets_not_yet_due_in_opening_hours_do_not_hold_back_those_that_are(
    alice, bob, category, make_rule, office, monkeypatch
):
    # A team working Mondays only, with its own calendar; Support works the office's Monday to Friday.
    part_time = Team.objects.create(name="Mondays")
    mondays = BusinessCalendar.objects.create(name="Mondays only", time_zone="Europe/Berlin")
    OpeningHours.objects.create(calendar=mondays, weekday=0, opens=time(9), closes=time(17))
    TeamCalendar.objects.create(team=part_time, calendar=mondays)
    rule = chase_after_a_business_day_pending(make_rule)
    # The worker reads TIME_RULE_BATCH (500) candidates a run; one here, so that two tickets show it.
    monkeypatch.setattr("automations.services.TIME_RULE_BATCH", 1)
    with time_machine.travel(berlin(2026, 3, 2, 9, 0), tick=False) as traveller:
        mondays_ticket = ticket_create(requester=alice, actor=bob, subject="Part time", team=part_time)
        support_ticket = ticket_create(requester=alice, subject="Invoice", category=category)
        traveller.move_to(berlin(2026, 3, 2, 16, 0))
        ticket_change_status(ticket=mondays_ticket, actor=bob, status=Status.PENDING)  # 1 h of its Monday left
        traveller.move_to(berlin(2026, 3, 3, 9, 0))
        ticket_change_status(ticket=support_ticket, actor=bob, status=Status.PENDING)
        traveller.move_to(berlin(2026, 3, 4, 10, 0))  # Support: 9 business hours pending; Mondays: 1
        assert time_rules_run() == 1
    assert RuleRun.objects.get(rule=rule).ticket == support_ticket


def test_a_ticket_not_yet_due_in_opening_hours_is_not_locked_and_fires_when_it_is(
    alice, bob, category, make_rule, office
):
    rule = chase_after_a_business_day_pending(make_rule)

    def run_counting_queries() -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            assert time_rules_run() == 0
        return [query["sql"] for query in queries.captured_queries]

    with time_machine.travel(berlin(2026, 3, 6, 16, 0), tick=False) as traveller:  # Friday, an hour before closing
        ticket = ticket_create(requester=alice, subject="Invoice", category=category)
        ticket_change_status(ticket=ticket, actor=bob, status=Status.PENDING)
        traveller.move_to(berlin(2026, 3, 7, 10, 0))  # Saturday: 18 hours on the wall clock, one business hour
        one_waiting = run_counting_queries()
        for subject in ("Refund", "Login"):
            other = ticket_create(requester=alice, subject=subject, category=category)
            ticket_change_status(ticket=other, actor=bob, status=Status.PENDING)
        traveller.move_to(berlin(2026, 3, 9, 15, 59))  # Monday: 7 h 59 min of opening hours for the first one
        three_waiting = run_counting_queries()

        # Neither run locked a ticket (PostgreSQL: no SELECT ... FOR UPDATE), nor read one more for each waiting.
        assert [sql for sql in one_waiting + three_waiting if "FOR UPDATE" in sql] == []
        assert len(three_waiting) == len(one_waiting)

        traveller.move_to(berlin(2026, 3, 9, 16, 0))  # eight business hours pending
        assert time_rules_run() == 1
    assert RuleRun.objects.get(rule=rule, outcome=Outcome.FIRED).ticket == ticket
    assert ticket.comments.get(internal=True).body == "Pending for a business day."


def test_a_ticket_that_changes_after_the_rule_read_its_batch_is_checked_again_under_its_lock(
    alice, bob, category, make_rule, monkeypatch
):
    close_after_a_week_in(make_rule, "pending", name="Close unanswered")
    fire = automations.services._time_rule_fire

    def requester_answers_meanwhile(**kwargs: object) -> int:
        # The worker has read its batch of due tickets; before it reaches this one, the requester answers.
        comment_create(ticket=ticket, author=alice, body="Sorry, here is the invoice number.")
        return fire(**kwargs)

    monkeypatch.setattr("automations.services._time_rule_fire", requester_answers_meanwhile)
    with time_machine.travel(datetime(2026, 5, 1, 12, 0, tzinfo=UTC), tick=False) as traveller:
        ticket = ticket_create(requester=alice, subject="Invoice", category=category)
        ticket_change_status(ticket=ticket, actor=bob, status=Status.PENDING)
        traveller.move_to(datetime(2026, 5, 8, 12, 0, tzinfo=UTC))
        assert time_rules_run() == 0
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN  # the answer reopened it; the rule does not close it on stale facts
    assert not TimeRuleFiring.objects.exists()


def test_a_ticket_the_rule_fails_on_is_logged_and_does_not_hold_back_the_others(
    alice, bob, category, unassigned_after_30_minutes, monkeypatch
):
    rule = unassigned_after_30_minutes({"status": "new"}, "Unassigned for 30 minutes.")
    note = automations.services.comment_create

    def fails_on_the_first_ticket(*, ticket: object, **kwargs: object) -> object:
        if ticket.pk == first.pk:
            raise RuntimeError("a bug met only on this ticket")
        return note(ticket=ticket, **kwargs)

    monkeypatch.setattr("automations.services.comment_create", fails_on_the_first_ticket)
    with time_machine.travel(datetime(2026, 5, 1, 12, 0, tzinfo=UTC), tick=False) as traveller:
        first = ticket_create(requester=alice, subject="Broken one", category=category)
        traveller.move_to(datetime(2026, 5, 1, 12, 1, tzinfo=UTC))
        second = ticket_create(requester=alice, subject="Invoice", category=category)
        traveller.move_to(datetime(2026, 5, 1, 12, 31, tzinfo=UTC))
        assert time_rules_run() == 1
        assert time_rules_run() == 0  # the failure is recorded once, not met again every run
    assert not first.comments.exists()
    assert second.comments.get(internal=True).body == "Unassigned for 30 minutes."
    failed = RuleRun.objects.get(rule=rule, ticket=first)
    assert failed.outcome == Outcome.FAILED and "a bug met only on this ticket" in failed.reason


def test_a_database_outage_stops_the_run_and_the_next_run_fires(
    alice, bob, category, unassigned_after_30_minutes, monkeypatch
):
    rule = unassigned_after_30_minutes({"status": "new"}, "Unassigned for 30 minutes.")
    note = automations.services.comment_create

    def database_gone(**kwargs: object) -> object:
        raise OperationalError("server closed the connection unexpectedly")

    with time_machine.travel(datetime(2026, 5, 1, 12, 0, tzinfo=UTC), tick=False) as traveller:
        ticket = ticket_create(requester=alice, subject="Invoice", category=category)
        traveller.move_to(datetime(2026, 5, 1, 12, 31, tzinfo=UTC))
        monkeypatch.setattr("automations.services.comment_create", database_gone)
        with pytest.raises(OperationalError):
            time_rules_run()
        assert not RuleRun.objects.exists()  # not the rule's fault: nothing recorded, tried again

        monkeypatch.setattr("automations.services.comment_create", note)
        assert time_rules_run() == 1
    assert ticket.comments.get(internal=True).body == "Unassigned for 30 minutes."
    assert RuleRun.objects.get(rule=rule, ticket=ticket).outcome == Outcome.FIRED


def test_the_task_time_limit_stops_the_run_and_the_next_run_fires(
    alice, bob, category, unassigned_after_30_minutes, monkeypatch
):
    """Celery raises SoftTimeLimitExceeded inside the task (CELERY_TASK_SOFT_TIME_LIMIT) so that it stops before it
    is killed: the ticket it was on is not to blame, and is not recorded as failed for good."""
    rule = unassigned_after_30_minutes({"status": "new"}, "Unassigned for 30 minutes.")
    note = automations.services.comment_create

    def out_of_time(**kwargs: object) -> object:
        raise SoftTimeLimitExceeded()

    with time_machine.travel(datetime(2026, 5, 1, 12, 0, tzinfo=UTC), tick=False) as traveller:
        ticket = ticket_create(requester=alice, subject="Invoice", category=category)
        traveller.move_to(datetime(2026, 5, 1, 12, 31, tzinfo=UTC))
        monkeypatch.setattr("automations.services.comment_create", out_of_time)
        with pytest.raises(SoftTimeLimitExceeded):
            time_rules_run()
        assert not RuleRun.objects.exists()

        monkeypatch.setattr("automations.services.comment_create", note)
        assert time_rules_run() == 1
    assert ticket.comments.get(internal=True).body == "Unassigned for 30 minutes."
    assert RuleRun.objects.get(rule=rule, ticket=ticket).outcome == Outcome.FIRED


def test_a_ticket_whose_lock_fails_is_left_for_the_next_run_and_the_others_fire(
    alice, bob, category, unassigned_after_30_minutes, monkeypatch
):
    rule = unassigned_after_30_minutes({"status": "new"}, "Unassigned for 30 minutes.")
    note = automations.services.comment_create
    deadlock = OperationalError("deadlock detected")
    deadlock.__cause__ = psycopg.errors.DeadlockDetected("deadlock detected")  # as Django wraps the driver's error

    def deadlocked_on_the_first_ticket(*, ticket: object, **kwargs: object) -> object:
        if ticket.pk == first.pk:
            raise deadlock
        return note(ticket=ticket, **kwargs)

    with time_machine.travel(datetime(2026, 5, 1, 12, 0, tzinfo=UTC), tick=False) as traveller:
        first = ticket_create(requester=alice, subject="Broken one", category=category)
        second = ticket_create(requester=alice, subject="Invoice", category=category)
        traveller.move_to(datetime(2026, 5, 1, 12, 31, tzinfo=UTC))
        monkeypatch.setattr("automations.services.comment_create", deadlocked_on_the_first_ticket)
        assert time_rules_run() == 1
        assert not RuleRun.objects.filter(rule=rule, ticket=first).exists()  # not its fault: nothing recorded

        monkeypatch.setattr("automations.services.comment_create", note)
        assert time_rules_run() == 1  # the next run fires it
    assert first.comments.get(internal=True).body == "Unassigned for 30 minutes."
    assert second.comments.get(internal=True).body == "Unassigned for 30 minutes."
