"""The periodic work with a real Celery worker and beat process (PostgreSQL: the worker shares the database).

The worker's beat runs `sla.sweep` and `automations.time_rules` every second here. The ticket's due time and the
rule's episode lie years in the past, so whatever the wall clock says when this runs, both are overdue.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.db import connection

from automations.models import Outcome, Rule, RuleRun, TimeBase, TimeRuleFiring, Trigger
from automations.services import rule_save
from events.models import Event, EventKind
from sla.models import EscalationNotice, SlaPolicy, SlaTarget
from tests.support.processes import ROOT
from tests.support.servers import kill_worker
from tests.support.threads import parallel_on_postgresql
from tickets.models import Priority
from tickets.services import ticket_create

pytestmark = parallel_on_postgresql("a worker process sharing the test database")

WAIT_SECONDS = 180  # generous: CI runs this beside the rest of the suite on two cores


def _database_url() -> str:
    settings = connection.settings_dict
    return f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("CELERY_", "REDIS_URL", "DATABASE_URL", "DEBUG", "SECRET_KEY"))
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": _database_url(),
        "SLA_SWEEP_SECONDS": "1",
        "AUTOMATION_TIME_RULES_SECONDS": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_FORMAT": "plain",
    }

    def start() -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--beat", "--pool=solo", "-l", "INFO"]
        log = (tmp_path / f"worker-{len(started)}.log").open("wb")
        # A session of its own: the embedded beat is a child process, and kill_worker() takes both.
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        process.log_path = Path(log.name)  # type: ignore[attr-defined]
        started.append(process)
        return process

    yield start
    for process in started:
        kill_worker(process)


def _wait_for(condition: Callable[[], bool], what: str, worker: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    log = worker.log_path.read_text(errors="replace")[-6000:]  # type: ignore[attr-defined]
    raise AssertionError(f"the worker never got there: {what}; exit code {worker.poll()}; its log ends:\n{log}")


def test_the_worker_records_a_breach_sends_its_notice_and_fires_a_time_rule_once_across_a_restart(
    alice, bob, start_worker
):
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

    worker = start_worker()
    _wait_for(lambda: EscalationNotice.objects.filter(sent_at__isnull=False).exists(), "a sent notice", worker)
    _wait_for(lambda: TimeRuleFiring.objects.filter(rule=rule).exists(), "the time rule firing", worker)
    assert Event.objects.filter(kind=EventKind.SLA_BREACHED, ticket=ticket).count() == 1

    kill_worker(worker)
    restarted = start_worker()
    # The restarted worker runs the time rules twice more before we look.
    _wait_for(lambda: _runs_of("automations.time_rules", restarted) >= 2, "two time-rule runs after it", restarted)
    assert TimeRuleFiring.objects.filter(rule=rule, ticket=ticket).count() == 1
    assert list(RuleRun.objects.filter(rule=rule).values_list("outcome", flat=True)) == [Outcome.FIRED]
    assert ticket.comments.filter(internal=True).count() == 1
    assert Event.objects.filter(kind=EventKind.SLA_BREACHED, ticket=ticket).count() == 1


def _runs_of(task: str, worker: subprocess.Popen[bytes]) -> int:
    """How many times the worker finished `task`, from its log ("Task <name>[<id>] succeeded")."""
    text = worker.log_path.read_text(errors="replace")  # type: ignore[attr-defined]
    return sum(1 for line in text.splitlines() if f"Task {task}[" in line and "succeeded" in line)
