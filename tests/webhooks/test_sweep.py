"""Nothing is lost when the worker dies or a message goes missing: the periodic sweep queues what is due."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from events.models import Event, EventKind
from webhooks.models import DeliveryState, WebhookDelivery
from webhooks.services import deliveries_prepare, webhooks_sweep


def prepared(endpoint, ticket) -> WebhookDelivery:
    event = Event.objects.get(ticket=ticket, kind=EventKind.TICKET_CREATED)
    (delivery,) = deliveries_prepare(event=event)  # its queue message is never sent: the test never commits
    return delivery


def test_a_delivery_whose_message_was_lost_is_sent_by_the_sweep(receiver, endpoint, ticket, on_commit):
    delivery = prepared(endpoint, ticket)
    assert receiver.received == []
    with on_commit():
        assert webhooks_sweep() == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCEEDED
    assert len(receiver.received) == 1


def test_a_delivery_left_sending_by_a_dead_worker_is_sent_again(receiver, endpoint, ticket, on_commit, settings, clock):
    delivery = prepared(endpoint, ticket)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.SENDING, claimed_at=timezone.now())
    with on_commit():
        assert webhooks_sweep() == 0  # it may still be running
    clock.shift(timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + settings.WEBHOOK_TIMEOUT_SECONDS + 1))
    with on_commit():
        assert webhooks_sweep() == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCEEDED


def test_the_sweep_queues_only_the_first_waiting_delivery_of_a_ticket(endpoint, ticket, bob, queued):
    from tickets.models import Status
    from tickets.services import ticket_change_status

    first = prepared(endpoint, ticket)
    ticket_change_status(ticket=ticket, actor=bob, status=Status.OPEN)
    event = Event.objects.get(ticket=ticket, kind=EventKind.STATUS_CHANGED)
    deliveries_prepare(event=event)
    queued.clear()
    webhooks_sweep()
    assert queued == [(first.pk, 0)]


def test_the_sweep_is_in_the_beat_schedule(settings):
    assert settings.CELERY_BEAT_SCHEDULE["webhooks-sweep"]["task"] == "webhooks.sweep"


def test_a_delivery_whose_worker_died_past_its_retry_window_is_given_up_by_the_sweep(
    clock, endpoint, ticket, queued, settings
):
    """A hard time limit kills the worker mid-send: nothing is recorded, and the sweep finds it `sending`."""
    delivery = prepared(endpoint, ticket)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.SENDING, claimed_at=delivery.give_up_at - timedelta(minutes=1), attempts=9
    )
    clock.shift(timedelta(seconds=settings.WEBHOOK_RETRY_WINDOW_SECONDS + settings.CELERY_TASK_TIME_LIMIT * 2))

    webhooks_sweep()

    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert (delivery.state, endpoint.is_active) == (DeliveryState.FAILED, False)
    assert "worker stopped" in delivery.last_error
