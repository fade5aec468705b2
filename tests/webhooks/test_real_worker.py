"""A real Celery worker (with beat) sends the deliveries; killed in the middle of one, nothing is lost: after a
restart the sweep frees the delivery it held, sends it again (same `webhook-id`, so the receiver can drop the
copy) and then the rest, in order. PostgreSQL only: the worker shares the test database."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook

from tests.support.servers import CeleryWorker, celery_worker, sharing_the_test_database
from tests.support.threads import parallel_on_postgresql
from tickets.models import Status
from tickets.services import ticket_change_status, ticket_create
from webhooks.models import DeliveryState, WebhookDelivery

pytestmark = parallel_on_postgresql("a worker process sharing the test database")


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[CeleryWorker]:
    """Not yet started; its beat sweeps the deliveries every second."""
    env = {
        "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "WEBHOOK_SWEEP_SECONDS": "1",
        "WEBHOOK_TIMEOUT_SECONDS": "2",
        "CELERY_TASK_TIME_LIMIT": "3",  # a delivery held longer than 3 + 2 s belongs to a dead worker
    }
    with celery_worker({**sharing_the_test_database(tmp_path), **env}, tmp_path, start=False) as worker:
        yield worker


def test_a_worker_killed_mid_delivery_loses_nothing(receiver, endpoint, alice, bob, worker, queued):
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
    worker.start()
    worker.wait_for(lambda: len(receiver.received) == 1, what="the first delivery sent")
    worker.kill()
    hold_first.set()
    assert WebhookDelivery.objects.get(pk=expected[0].pk).state == DeliveryState.SENDING

    worker.start()
    worker.wait_for(
        lambda: not WebhookDelivery.objects.exclude(state=DeliveryState.SUCCEEDED).exists(),
        what="every delivery delivered",
    )
    assert accepted == [delivery.message_id for delivery in expected]  # all of them, in order, once accepted
    assert receiver.received[0].headers["webhook-id"] == expected[0].message_id  # the copy the dead worker sent
    kinds = [json.loads(request.body)["type"] for request in receiver.received[1:]]
    assert kinds == ["ticket.created"] + ["ticket.status_changed"] * 3
