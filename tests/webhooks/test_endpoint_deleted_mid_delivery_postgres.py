"""An endpoint deleted at the very moment the worker records an attempt at one of its deliveries: the two take turns
on the delivery's row lock, so the deletion takes the new attempt with it instead of failing on it.

Real parallel connections (one per thread): SQLite takes one writer at a time for the whole file and cannot show
this, so it runs only when DATABASE_URL points at PostgreSQL. The endpoint deleted while the request is in flight,
on either database, is in test_subscription_changes.py.
"""

from __future__ import annotations

import threading

from django.db import transaction
from django.utils import timezone

from tests.support.servers import wait_until
from tests.support.threads import parallel_on_postgresql, run_together, someone_waits_for_a_lock
from webhooks import sending, services
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

pytestmark = parallel_on_postgresql("real row locks and parallel connections")


def test_deleting_an_endpoint_while_an_attempt_is_recorded_deletes_the_attempt_too(queued, endpoint, ticket):
    delivery = WebhookDelivery.objects.filter(endpoint=endpoint).first()  # prepared as the ticket's events committed
    assert delivery is not None
    recording = threading.Event()

    def worker_records_an_attempt() -> None:
        with transaction.atomic():
            assert services._attempt_create(delivery, sending.Outcome(status=200), timezone.now()) is not None
            recording.set()
            wait_until(someone_waits_for_a_lock, timeout=10, what="the deletion waiting for the delivery's lock")

    def admin_deletes_the_endpoint() -> None:
        assert recording.wait(timeout=10)
        services.webhook_endpoint_delete(endpoint=WebhookEndpoint.objects.get(pk=endpoint.pk))

    run_together([worker_records_an_attempt, admin_deletes_the_endpoint])

    assert not WebhookEndpoint.objects.exists()
    assert not WebhookDelivery.objects.exists() and not WebhookAttempt.objects.exists()
