"""A failed attempt is retried with exponential backoff and jitter for about a day, honouring Retry-After; then the
delivery fails, the endpoint is disabled and the admins are told. Time is injected; the receiver is real."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from email.utils import format_datetime

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from events.models import Event, EventKind
from tests.webhooks.conftest import Receiver, prepared_delivery
from webhooks import sending, ssrf
from webhooks.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from webhooks.services import (
    deliveries_prepare,
    delivery_attempt,
    retry_delay,
    webhook_endpoint_create,
    webhooks_sweep,
)

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


@pytest.fixture
def trickler(settings) -> Iterator[int]:
    """A receiver that answers one byte every 0.05 s: each read returns well within the read timeout."""
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(5)
        try:
            connection, _ = server.accept()
        except OSError:
            return
        with connection:
            connection.recv(65536)
            answer = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 40 + b"\r\nContent-Length: 2\r\n\r\nok"
            for byte in answer:
                if stop.is_set():
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(0.05)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        server.close()
        thread.join(timeout=10)


def test_a_receiver_trickling_its_answer_is_cut_off_near_the_configured_timeouts(trickler, carol, ticket, settings):
    settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS = 0.5
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    endpoint = webhook_endpoint_create(url=f"http://127.0.0.1:{trickler}/hooks", actor=carol)
    delivery = prepared_delivery(endpoint, ticket)

    started = time.monotonic()
    outcome = sending.post(target=ssrf.target_for(endpoint.url), headers={}, body=delivery.body.encode())
    took = time.monotonic() - started

    # Connect and read timeouts add up to 1 s, while the receiver's trickle lasts ~4.5 s.
    assert took < 3, f"the POST took {took:.1f} s (status {outcome.status}, error {outcome.error!r})"
    assert outcome.error == "Cut off: no complete answer within 1 seconds."


def test_attempts_cut_off_by_the_task_time_limit_still_give_up_after_the_retry_window(
    clock, receiver, delivery, endpoint, monkeypatch
):
    def cut_off_by_the_soft_time_limit(**kwargs: object) -> sending.Outcome:
        # What Celery raises inside the task at CELERY_TASK_SOFT_TIME_LIMIT (e.g. a trickling receiver, above).
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(sending, "post", cut_off_by_the_soft_time_limit)
    for _hour in range(72):
        with contextlib.suppress(SoftTimeLimitExceeded):  # the worker logs the task as failed and acknowledges it
            delivery_attempt(delivery_id=delivery.pk)
        clock.shift(timedelta(hours=1))
        webhooks_sweep()
        delivery.refresh_from_db()
        if delivery.state == DeliveryState.FAILED:
            break

    endpoint.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED, (
        f"after 3 days: {delivery.state}, {delivery.attempts} attempts, "
        f"{delivery.attempt_log.count()} in the log, endpoint active={endpoint.is_active}"
    )
    assert not endpoint.is_active


def test_a_response_with_a_nul_byte_is_logged_in_a_form_every_database_can_store(receiver: Receiver, delivery):
    """PostgreSQL refuses NUL in text columns ("cannot contain NUL (0x00) bytes"): the attempt could not be
    recorded there, the delivery would stay `sending` and the sweep would re-send it for ever. SQLite stores it, so
    check the value."""
    receiver.answer_with(500, {"Content-Type": "application/octet-stream"}, b"\x00\x01\x02 binary error page")
    attempt = delivery_attempt(delivery_id=delivery.pk, now=delivery.next_attempt_at)
    assert attempt is not None and attempt.status_code == 500
    assert "\x00" not in attempt.response_head
