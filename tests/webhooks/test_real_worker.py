"""A real Celery worker (with beat) sends the deliveries; killed in the middle of one, nothing is lost: after a
restart the sweep frees the delivery it held, sends it again (same `webhook-id`, so the receiver can drop the
copy) and then the rest, in order. PostgreSQL only: the worker shares the test database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection
from standardwebhooks.webhooks import Webhook

from tests.support.processes import ROOT
from tests.support.servers import kill_worker
from tests.support.threads import parallel_on_postgresql
from tickets.models import Status
from tickets.services import ticket_change_status, ticket_create
from webhooks.models import DeliveryState, WebhookDelivery

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
        if not name.startswith(("CELERY_", "REDIS_URL", "DATABASE_URL", "DEBUG", "SECRET_KEY", "WEBHOOK_"))
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": _database_url(),
        "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "WEBHOOK_SWEEP_SECONDS": "1",
        "WEBHOOK_TIMEOUT_SECONDS": "2",
        "CELERY_TASK_TIME_LIMIT": "3",  # a delivery held longer than 3 + 2 s belongs to a dead worker
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


def test_a_worker_killed_mid_delivery_loses_nothing(receiver, endpoint, alice, bob, start_worker, queued):
    # The web process prepares the deliveries (queued holds what it would hand over); the worker's sweep sends them.
    ticket = ticket_create(requester=alice, subject="Network down")
    for status in (Status.OPEN, Status.PENDING, Status.OPEN):
        ticket_change_status(ticket=ticket, actor=bob, status=status)
    expected = list(WebhookDelivery.objects.filter(endpoint=endpoint).order_by("event_id"))
    assert len(expected) == 4

    hold_first = threading.Event()
    accepted: list[str] = []

    def hang_on_the_first(request):
        if len(receiver.received) == 1:
            hold_first.wait(timeout=60)  # the worker is killed while it waits for this answer
            return 500, {}, b""
        Webhook(endpoint.secret).verify(request.body, request.headers)
        accepted.append(request.headers["webhook-id"])
        return 200, {}, b""

    receiver.respond = hang_on_the_first
    worker = start_worker()
    _wait_for(lambda: len(receiver.received) == 1, "the first delivery sent", worker)
    kill_worker(worker)
    hold_first.set()
    assert WebhookDelivery.objects.get(pk=expected[0].pk).state == DeliveryState.SENDING

    restarted = start_worker()
    _wait_for(
        lambda: not WebhookDelivery.objects.exclude(state=DeliveryState.SUCCEEDED).exists(),
        "every delivery delivered",
        restarted,
    )
    assert accepted == [delivery.message_id for delivery in expected]  # all of them, in order, once accepted
    assert receiver.received[0].headers["webhook-id"] == expected[0].message_id  # the copy the dead worker sent
    kinds = [json.loads(request.body)["type"] for request in receiver.received[1:]]
    assert kinds == ["ticket.created"] + ["ticket.status_changed"] * 3
