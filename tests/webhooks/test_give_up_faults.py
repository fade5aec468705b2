"""Giving up a delivery is all or nothing: the delivery fails, its endpoint is disabled and the admins are told, or
none of it happens and a later sweep gives up again. A fault delays that, it never loses it, and one delivery that
cannot be given up holds back no other."""

from __future__ import annotations

from datetime import timedelta

import pytest

from notifications.models import Notification, NotificationKind
from tests.webhooks.conftest import Receiver, prepared_delivery
from webhooks import services
from webhooks.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from webhooks.services import delivery_attempt, webhook_endpoint_create, webhooks_sweep

pytestmark = pytest.mark.usefixtures("queued")


class NoticeFailed(Exception):
    pass


@pytest.fixture
def notice_fails_once(monkeypatch) -> list[int]:
    """The admins' notice raises the first time (a template or a database fault), then works: the endpoints it
    was asked about, in order."""
    real = services.mail_admins_endpoint_disabled
    calls: list[int] = []

    def flaky(*, endpoint: WebhookEndpoint) -> None:
        calls.append(endpoint.pk)
        if len(calls) == 1:
            raise NoticeFailed("the notice could not be queued")
        real(endpoint=endpoint)

    monkeypatch.setattr(services, "mail_admins_endpoint_disabled", flaky)
    return calls


def left_sending_past_its_window(delivery: WebhookDelivery) -> None:
    """A worker killed mid-send on the last attempt: found `sending` by the sweep, its retry window over."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.SENDING, claimed_at=delivery.give_up_at - timedelta(minutes=1), attempts=9
    )


def admins_told(endpoint: WebhookEndpoint) -> int:
    return Notification.objects.filter(
        kind=NotificationKind.WEBHOOK_DISABLED, key__startswith=f"webhook-disabled:{endpoint.pk}:"
    ).count()


def sweep_interval(settings) -> timedelta:
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + settings.WEBHOOK_TIMEOUT_SECONDS + 1)


def test_a_notice_that_fails_leaves_the_delivery_to_be_given_up_again_and_the_endpoint_ends_disabled(
    clock, endpoint, ticket, carol, notice_fails_once, settings
):
    delivery = prepared_delivery(endpoint, ticket)
    left_sending_past_its_window(delivery)
    clock.shift(timedelta(seconds=settings.WEBHOOK_RETRY_WINDOW_SECONDS + settings.CELERY_TASK_TIME_LIMIT * 2))

    webhooks_sweep()  # the notice raises: nothing of the giving up is kept, and the sweep itself goes on

    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert (delivery.state, endpoint.is_active, admins_told(endpoint)) == (DeliveryState.SENDING, True, 0)

    clock.shift(sweep_interval(settings))
    webhooks_sweep()

    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert (delivery.state, endpoint.is_active, admins_told(endpoint)) == (DeliveryState.FAILED, False, 1)
    assert "worker stopped" in delivery.last_error
    assert notice_fails_once == [endpoint.pk, endpoint.pk]


def test_one_delivery_that_cannot_be_given_up_holds_back_no_other(
    clock, receiver: Receiver, endpoint, ticket, carol, notice_fails_once, settings, queued
):
    other_endpoint = webhook_endpoint_create(url=receiver.url + "/other", actor=carol)
    first = prepared_delivery(other_endpoint, ticket)  # prepares the event for both endpoints
    second = WebhookDelivery.objects.get(endpoint=endpoint, event=first.event)
    for delivery in (first, second):
        left_sending_past_its_window(delivery)
    clock.shift(timedelta(seconds=settings.WEBHOOK_RETRY_WINDOW_SECONDS + settings.CELERY_TASK_TIME_LIMIT * 2))

    webhooks_sweep()

    states = dict(WebhookDelivery.objects.filter(pk__in=[first.pk, second.pk]).values_list("pk", "state"))
    active = dict(
        WebhookEndpoint.objects.filter(pk__in=[endpoint.pk, other_endpoint.pk]).values_list("pk", "is_active")
    )
    failed_endpoint = notice_fails_once[0]  # whichever the sweep took first
    given_up_endpoint = other_endpoint.pk if failed_endpoint == endpoint.pk else endpoint.pk
    assert sorted(states.values()) == sorted([DeliveryState.SENDING, DeliveryState.FAILED])
    assert (active[failed_endpoint], active[given_up_endpoint]) == (True, False)


def test_a_worker_whose_notice_fails_on_the_last_attempt_leaves_it_to_the_sweep(
    clock, receiver: Receiver, endpoint, ticket, carol, notice_fails_once, settings
):
    receiver.answer_with(500)
    delivery = prepared_delivery(endpoint, ticket)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=12)  # the next failure passes the window
    clock.shift(timedelta(seconds=settings.WEBHOOK_RETRY_WINDOW_SECONDS - 60))

    with pytest.raises(NoticeFailed):  # the task fails, and is logged by the worker
        delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert (delivery.state, endpoint.is_active, admins_told(endpoint)) == (DeliveryState.SENDING, True, 0)
    assert delivery.attempt_log.count() == 1  # the attempt itself is on record

    clock.shift(timedelta(seconds=120) + sweep_interval(settings))
    webhooks_sweep()

    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert (delivery.state, endpoint.is_active, admins_told(endpoint)) == (DeliveryState.FAILED, False, 1)


def test_a_410_whose_notice_fails_is_sent_again_and_disables_the_endpoint(
    clock, receiver: Receiver, endpoint, ticket, carol, notice_fails_once, settings, queued
):
    receiver.answer_with(410)
    delivery = prepared_delivery(endpoint, ticket)

    with pytest.raises(NoticeFailed):
        delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert (delivery.state, endpoint.is_active) == (DeliveryState.SENDING, True)

    clock.shift(sweep_interval(settings))
    webhooks_sweep()  # within its window: pending again, and queued
    assert (delivery.pk, 0) in queued
    delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert (delivery.state, endpoint.is_active, admins_told(endpoint)) == (DeliveryState.FAILED, False, 1)
    assert "410" in endpoint.disabled_reason
