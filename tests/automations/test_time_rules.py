"""Time-based rules are evaluated by the worker on their own, once per ticket per condition episode."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from django.core import mail

from automations.models import Outcome, RuleRun, TimeBase, TimeRuleFiring, Trigger
from automations.services import time_rules_run
from tests.sla.conftest import berlin
from tickets.models import Status
from tickets.services import comment_create, ticket_change_status, ticket_create


def test_a_time_rule_fires_without_any_change_to_the_ticket_freescout_971(
    alice, bob, category, make_rule, django_capture_on_commit_callbacks
):
    make_rule(
        name="Close resolved",
        trigger=Trigger.TIME,
        conditions={"status": "resolved"},
        time_base=TimeBase.STATUS,
        after_minutes=7 * 24 * 60,
        set_status=Status.CLOSED,
    )
    with time_machine.travel(datetime(2026, 5, 1, 12, 0, tzinfo=UTC), tick=False) as traveller:
        ticket = ticket_create(requester=alice, subject="Invoice", category=category)
        ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED)
        traveller.move_to(datetime(2026, 5, 8, 11, 59, tzinfo=UTC))
        assert time_rules_run() == 0
        traveller.move_to(datetime(2026, 5, 8, 12, 0, tzinfo=UTC))
        assert time_rules_run() == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_a_time_rule_fires_exactly_once_after_a_worker_restart(alice, bob, category, make_rule):
    rule = make_rule(
        trigger=Trigger.TIME,
        conditions={"assignee": "none", "status": "new"},
        time_base=TimeBase.CREATED,
        after_minutes=30,
        internal_note="Unassigned for 30 minutes.",
    )
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
