"""Giving up a delivery is all or nothing with disabling its endpoint: both happen, or neither does and a later
sweep gives up again. Telling the admins is not part of it: it is an event of its own (the outbox), retried with
backoff and left failed for an admin to see, so a notice that cannot be queued never holds a delivery back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from events.models import EventKind, HandlerRun, RunState
from events.services import handler_runs_retry
from notifications.models import Notification, NotificationKind
from tests.webhooks.conftest import Receiver, prepared_delivery
from tickets.models import Status
from tickets.services import ticket_change_status
from webhooks import notifications, services
from webhooks.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from webhooks.services import delivery_attempt, webhook_endpoint_create, webhooks_sweep
from webhooks.tasks import mail_admins_of_disabled_endpoint

pytestmark = pytest.mark.usefixtures("queued")


class NoticeFailed(Exception):
    pass


class NoticeFault:
    """The admins' notice raises (a template or a database fault) for as long as `failing` is set."""

    def __init__(self, real) -> None:
        self.real = real
        self.failing = True
        self.calls = 0

    def __call__(self, **kwargs) -> Notification | None:
        self.calls += 1
        if self.failing:
            raise NoticeFailed("the notice could not be queued")
        return self.real(**kwargs)


@pytest.fixture
def notice_fails(monkeypatch, settings) -> NoticeFault:
    settings.EVENT_HANDLER_MAX_ATTEMPTS = 3
    fault = NoticeFault(notifications.notification_queue)
    monkeypatch.setattr(notifications, "notification_queue", fault)
    return fault


def left_sending_past_its_window(delivery: WebhookDelivery) -> None:
    """A worker killed mid-send on the last attempt: found `sending` by the sweep, its retry window over."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.SENDING, claimed_at=delivery.give_up_at - timedelta(minutes=1), attempts=9
    )


def admins_told(endpoint: WebhookEndpoint) -> int:
    return Notification.objects.filter(
        kind=NotificationKind.WEBHOOK_DISABLED, key__startswith=f"webhook-disabled:{endpoint.pk}:"
    ).count()


def notice_run(endpoint: WebhookEndpoint) -> HandlerRun:
    return HandlerRun.objects.get(
        event__kind=EventKind.WEBHOOK_DISABLED,
        event__payload__endpoint_id=endpoint.pk,
        handler=mail_admins_of_disabled_endpoint.name,
    )


def past_the_window(clock, settings) -> None:
    clock.shift(timedelta(seconds=settings.WEBHOOK_RETRY_WINDOW_SECONDS + settings.CELERY_TASK_TIME_LIMIT * 2))


def test_a_notice_that_keeps_failing_does_not_keep_the_delivery_from_being_given_up(
    clock, endpoint, ticket, bob, carol, notice_fails, settings, queued, on_commit
):
    delivery = prepared_delivery(endpoint, ticket)
    ticket_change_status(ticket=ticket, actor=bob, status=Status.OPEN)
    later = prepared_delivery(endpoint, ticket, kind=EventKind.STATUS_CHANGED)
    left_sending_past_its_window(delivery)
    past_the_window(clock, settings)

    with on_commit():
        webhooks_sweep()  # one sweep, the notice failing every time it is tried

    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert (delivery.state, endpoint.is_active) == (DeliveryState.FAILED, False)
    assert "worker stopped" in delivery.last_error
    assert (later.pk, 0) in queued  # the ticket's next delivery no longer waits behind it
    run = notice_run(endpoint)  # the notice is not lost: retried with backoff, then left failed for an admin
    assert (run.state, run.attempts, notice_fails.calls) == (RunState.FAILED, 3, 3)
    assert "NoticeFailed: the notice could not be queued" in run.last_error
    assert admins_told(endpoint) == 0

    notice_fails.failing = False
    with on_commit():
        handler_runs_retry(runs=[run])

    assert notice_run(endpoint).state == RunState.SUCCEEDED
    assert admins_told(endpoint) == 1


def test_one_delivery_that_cannot_be_given_up_holds_back_no_other(
    clock, receiver: Receiver, endpoint, ticket, carol, settings, monkeypatch
):
    """A fault in giving up itself (the endpoint's row, the database) rolls it back; the sweep goes on."""
    real = services.webhook_endpoint_disable
    disabled: list[int] = []

    def fails_the_first_time(*, endpoint: WebhookEndpoint, reason: str) -> None:
        disabled.append(endpoint.pk)
        if len(disabled) == 1:
            raise NoticeFailed("the endpoint could not be disabled")
        real(endpoint=endpoint, reason=reason)

    monkeypatch.setattr(services, "webhook_endpoint_disable", fails_the_first_time)
    other_endpoint = webhook_endpoint_create(url=receiver.url + "/other", actor=carol)
    first = prepared_delivery(other_endpoint, ticket)  # prepares the event for both endpoints
    second = WebhookDelivery.objects.get(endpoint=endpoint, event=first.event)
    for delivery in (first, second):
        left_sending_past_its_window(delivery)
    past_the_window(clock, settings)

    webhooks_sweep()

    states = dict(WebhookDelivery.objects.filter(pk__in=[first.pk, second.pk]).values_list("pk", "state"))
    active = dict(
        WebhookEndpoint.objects.filter(pk__in=[endpoint.pk, other_endpoint.pk]).values_list("pk", "is_active")
    )
    failed_endpoint = disabled[0]  # whichever the sweep took first
    given_up_endpoint = other_endpoint.pk if failed_endpoint == endpoint.pk else endpoint.pk
    assert sorted(states.values()) == sorted([DeliveryState.SENDING, DeliveryState.FAILED])
    assert (active[failed_endpoint], active[given_up_endpoint]) == (True, False)


def test_a_worker_whose_notice_fails_on_the_last_attempt_still_gives_the_delivery_up(
    clock, receiver: Receiver, endpoint, ticket, carol, notice_fails, settings, on_commit
):
    receiver.answer_with(500)
    delivery = prepared_delivery(endpoint, ticket)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=12)  # the next failure passes the window
    clock.shift(timedelta(seconds=settings.WEBHOOK_RETRY_WINDOW_SECONDS - 60))

    with on_commit():
        delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert (delivery.state, endpoint.is_active) == (DeliveryState.FAILED, False)
    assert delivery.attempt_log.count() == 1
    assert (notice_run(endpoint).state, admins_told(endpoint)) == (RunState.FAILED, 0)


def test_a_410_whose_notice_fails_disables_the_endpoint_and_the_notice_follows(
    receiver: Receiver, endpoint, ticket, carol, notice_fails, on_commit, mailoutbox
):
    receiver.answer_with(410)
    delivery = prepared_delivery(endpoint, ticket)
    notice_fails.failing = False  # the notice is queued by its own handler, after the disabling commits

    with on_commit():
        delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert (delivery.state, endpoint.is_active, admins_told(endpoint)) == (DeliveryState.FAILED, False, 1)
    assert "410" in endpoint.disabled_reason
    assert [mail.to for mail in mailoutbox] == [[carol.email]]
