"""A failed attempt is retried with exponential backoff and jitter for about a day, honouring Retry-After; then the
delivery fails, the endpoint is disabled and the admins are told. Time is injected; the receiver is real."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

import pytest
from django.utils import timezone

from events.models import Event, EventKind
from tests.webhooks.conftest import Receiver
from webhooks.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from webhooks.services import deliveries_prepare, delivery_attempt, retry_delay

pytestmark = pytest.mark.usefixtures("queued")


@pytest.fixture
def delivery(endpoint, ticket) -> WebhookDelivery:
    event = Event.objects.get(ticket=ticket, kind=EventKind.TICKET_CREATED)
    event.created_at = endpoint.created_at  # the ticket fixture may be older than the endpoint
    event.save()
    (delivery,) = deliveries_prepare(event=event)
    return delivery


def test_each_retry_waits_about_twice_as_long_as_the_one_before(receiver: Receiver, delivery, settings):
    receiver.answer_with(500)
    now = delivery.next_attempt_at
    for attempt in range(1, 8):
        assert delivery_attempt(delivery_id=delivery.pk, now=now).status_code == 500
        delivery.refresh_from_db()
        wait = (delivery.next_attempt_at - now).total_seconds()
        ceiling = settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
        assert 0.75 * ceiling <= wait <= ceiling, (attempt, wait)
        assert delivery_attempt(delivery_id=delivery.pk, now=delivery.next_attempt_at - timedelta(seconds=1)) is None
        now = delivery.next_attempt_at
    assert delivery.attempts == 7 and delivery.state == DeliveryState.PENDING
    assert len(receiver.received) == 7


def test_waits_stop_growing_at_the_cap_and_are_jittered():
    delays = [retry_delay(20) for _ in range(50)]
    assert all(3 * 3600 <= delay <= 4 * 3600 for delay in delays)
    assert len(set(delays)) > 1


def test_retry_after_in_seconds_is_honoured(receiver: Receiver, delivery):
    receiver.answer_with(503, {"Retry-After": "900"})
    now = delivery.next_attempt_at
    attempt = delivery_attempt(delivery_id=delivery.pk, now=now)
    delivery.refresh_from_db()
    assert attempt.status_code == 503
    assert delivery.next_attempt_at >= now + timedelta(seconds=900)


def test_retry_after_as_a_date_is_honoured(receiver: Receiver, delivery):
    now = delivery.next_attempt_at
    receiver.answer_with(429, {"Retry-After": format_datetime(now + timedelta(minutes=30), usegmt=True)})
    delivery_attempt(delivery_id=delivery.pk, now=now)
    delivery.refresh_from_db()
    assert delivery.next_attempt_at >= now + timedelta(minutes=29, seconds=59)


def test_a_retry_after_of_a_year_is_capped(receiver: Receiver, delivery, settings):
    receiver.answer_with(503, {"Retry-After": str(365 * 86400)})
    now = delivery.next_attempt_at
    delivery_attempt(delivery_id=delivery.pk, now=now)
    delivery.refresh_from_db()
    assert delivery.next_attempt_at <= now + timedelta(seconds=settings.WEBHOOK_RETRY_MAX_SECONDS)


def test_a_receiver_that_answers_too_slowly_times_out_and_is_retried(receiver: Receiver, delivery, settings):
    import time

    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3

    def slow(request):
        time.sleep(1)
        return 200, {}, b"late"

    receiver.respond = slow
    attempt = delivery_attempt(delivery_id=delivery.pk, now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert attempt.status_code is None and "timed out" in attempt.error.lower()
    assert attempt.duration_ms < 1000
    assert delivery.state == DeliveryState.PENDING and delivery.attempts == 1


def test_a_closed_port_is_a_failed_attempt_not_an_error(endpoint, delivery, settings):
    from tests.support.servers import free_port

    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=f"http://127.0.0.1:{free_port()}/")
    attempt = delivery_attempt(delivery_id=delivery.pk, now=delivery.next_attempt_at)
    assert attempt.status_code is None and attempt.error
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING


def test_after_about_a_day_of_failures_the_endpoint_is_disabled_and_admins_are_mailed(
    receiver: Receiver, endpoint, delivery, carol, mailoutbox, django_capture_on_commit_callbacks
):
    receiver.answer_with(500, body=b"database down")
    started = delivery.next_attempt_at
    now = started
    with django_capture_on_commit_callbacks(execute=True):
        while True:
            delivery_attempt(delivery_id=delivery.pk, now=now)
            delivery.refresh_from_db()
            if delivery.state != DeliveryState.PENDING:
                break
            now = delivery.next_attempt_at
    assert delivery.state == DeliveryState.FAILED
    assert timedelta(hours=18) <= now - started <= timedelta(hours=24)
    assert 10 <= delivery.attempts <= 16
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert "500" in endpoint.disabled_reason
    assert [mail.to for mail in mailoutbox] == [[carol.email]]
    assert endpoint.url in mailoutbox[0].body
    assert f"/staff/webhooks/{endpoint.pk}/" in mailoutbox[0].body
    log = list(delivery.attempt_log.order_by("number"))
    assert [attempt.number for attempt in log] == list(range(1, delivery.attempts + 1))
    assert "HTTP 500" in log[-1].response_head and "database down" in log[-1].response_head


def test_a_disabled_endpoint_gets_no_attempt(receiver: Receiver, endpoint, delivery):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    assert delivery_attempt(delivery_id=delivery.pk, now=timezone.now() + timedelta(days=1)) is None
    assert receiver.received == []
