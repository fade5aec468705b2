"""The periodic work with a real Celery worker and beat process (PostgreSQL: the worker shares the database).

The worker's beat runs `sla.sweep` and `automations.time_rules` every second here. The ticket's due time and the
rule's episode lie years in the past, so whatever the wall clock says when this runs, both are overdue.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine

from automations.models import Outcome, Rule, RuleRun, TimeBase, TimeRuleFiring, Trigger
from automations.services import rule_save
from events.models import Event, EventKind
from sla.models import EscalationNotice, SlaPolicy, SlaTarget
from tests.support.servers import CeleryWorker, celery_worker, sharing_the_test_database
from tests.support.threads import parallel_on_postgresql
from tickets.models import Priority
from tickets.services import ticket_create

pytestmark = parallel_on_postgresql("a worker process sharing the test database")


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[CeleryWorker]:
    """Not yet started; its beat runs both sweeps every second."""
    env = {"SLA_SWEEP_SECONDS": "1", "AUTOMATION_TIME_RULES_SECONDS": "1"}
    with celery_worker({**sharing_the_test_database(tmp_path), **env}, tmp_path, start=False) as worker:
        yield worker


def test_the_worker_records_a_breach_sends_its_notice_and_fires_a_time_rule_once_across_a_restart(alice, bob, worker):
    policy = SlaPolicy.objects.create(name="Around the clock")
    SlaTarget.objects.create(policy=policy, priority=Priority.URGENT, first_response_minutes=60, business_hours=False)
    rule = rule_save(
        rule=Rule(
            name="Unassigned for 30 minutes",
            trigger=Trigger.TIME,
            conditions={"assignee": "none"},
            time_base=TimeBase.CREATED,
            after_minutes=30,
            internal_note="Still unassigned.",
        )
    )
    with time_machine.travel(datetime(2020, 1, 6, 9, 0, tzinfo=UTC), tick=False):
        ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)

    worker.start()
    worker.wait_for(lambda: EscalationNotice.objects.filter(sent_at__isnull=False).exists(), what="a sent notice")
    worker.wait_for(lambda: TimeRuleFiring.objects.filter(rule=rule).exists(), what="the time rule firing")
    assert Event.objects.filter(kind=EventKind.SLA_BREACHED, ticket=ticket).count() == 1

    worker.kill()
    worker.start()
    # The restarted worker runs the time rules twice more before we look.
    worker.wait_for(lambda: _runs_of("automations.time_rules", worker) >= 2, what="two time-rule runs after it")
    assert TimeRuleFiring.objects.filter(rule=rule, ticket=ticket).count() == 1
    assert list(RuleRun.objects.filter(rule=rule).values_list("outcome", flat=True)) == [Outcome.FIRED]
    assert ticket.comments.filter(internal=True).count() == 1
    assert Event.objects.filter(kind=EventKind.SLA_BREACHED, ticket=ticket).count() == 1


def _runs_of(task: str, worker: CeleryWorker) -> int:
    """How many times the worker finished `task` since it last started, from its log ("Task <name>[<id>] succeeded")."""
    text = worker.log.read_text(errors="replace")
    return sum(1 for line in text.splitlines() if f"Task {task}[" in line and "succeeded" in line)
