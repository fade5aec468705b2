"""Events of one ticket reach one endpoint in the order they happened, even when an earlier one needs retries or
the worker prepares them out of order; other tickets do not wait."""

from __future__ import annotations

import json
from datetime import timedelta

from events.models import Event
from tickets.models import Status
from tickets.services import ticket_change_status, ticket_create
from webhooks.models import DeliveryState, WebhookDelivery
from webhooks.services import deliveries_prepare, delivery_attempt, webhooks_sweep


def event_ids(receiver) -> list[int]:
    return [json.loads(request.body)["data"]["event_id"] for request in receiver.received]


def test_a_later_event_waits_while_an_earlier_one_is_retried(receiver, endpoint, ticket, bob, on_commit, clock):
    receiver.answer_with(500)
    with on_commit():
        ticket_change_status(ticket=ticket, actor=bob, status=Status.OPEN)
        ticket_change_status(ticket=ticket, actor=bob, status=Status.PENDING)
    first, *later = WebhookDelivery.objects.filter(endpoint=endpoint, ticket=ticket).order_by("event_id")
    assert [delivery.kind for delivery in later] == ["ticket.status_changed", "ticket.status_changed"]
    assert {request.headers["webhook-id"] for request in receiver.received} == {first.message_id}

    for _ in range(3):  # the first keeps failing; the later ones are never tried
        first.refresh_from_db()
        clock.move_to(first.next_attempt_at + timedelta(seconds=1))
        with on_commit():
            webhooks_sweep()
    assert {request.headers["webhook-id"] for request in receiver.received} == {first.message_id}
    assert [WebhookDelivery.objects.get(pk=delivery.pk).attempts for delivery in later] == [0, 0]

    receiver.answer_with(200)
    first.refresh_from_db()
    clock.move_to(first.next_attempt_at + timedelta(seconds=1))
    with on_commit():
        webhooks_sweep()
    states = [WebhookDelivery.objects.get(pk=delivery.pk).state for delivery in (first, *later)]
    assert states == [DeliveryState.SUCCEEDED] * 3
    assert [request.headers["webhook-id"] for request in receiver.received[-3:]] == [
        delivery.message_id for delivery in (first, *later)
    ]


def test_another_tickets_events_do_not_wait(receiver, endpoint, ticket, alice, bob, on_commit):
    def fail_for_the_first_ticket(request):
        return (500, {}, b"") if json.loads(request.body)["data"]["ticket"]["id"] == ticket.pk else (200, {}, b"")

    receiver.respond = fail_for_the_first_ticket
    with on_commit():
        ticket_change_status(ticket=ticket, actor=bob, status=Status.OPEN)
        other = ticket_create(requester=alice, subject="Another")
    assert WebhookDelivery.objects.get(endpoint=endpoint, ticket=other).state == DeliveryState.SUCCEEDED


def test_events_prepared_out_of_order_are_still_sent_in_order(receiver, endpoint, ticket, bob):
    """The worker may run the handler of a later event first (two events from one change, two workers)."""
    ticket_change_status(ticket=ticket, actor=bob, status=Status.OPEN)
    ticket_change_status(ticket=ticket, actor=bob, status=Status.PENDING)
    earlier, later = Event.objects.filter(ticket=ticket, kind="ticket.status_changed").order_by("pk")
    Event.objects.filter(pk__in=[earlier.pk, later.pk]).update(created_at=endpoint.created_at)
    later.refresh_from_db()

    prepared = deliveries_prepare(event=later)
    assert sorted(delivery.event_id for delivery in prepared) == sorted(
        Event.objects.filter(ticket=ticket).values_list("pk", flat=True)
    )
    for delivery in sorted(prepared, key=lambda d: -d.event_id):  # the worker tries the newest first
        delivery_attempt(delivery_id=delivery.pk)
    assert event_ids(receiver) == [min(d.event_id for d in prepared)]
    # each success queues the next one of the ticket; here they are run by hand in the order they are queued
    while WebhookDelivery.objects.filter(endpoint=endpoint, state="pending").exists():
        pending = WebhookDelivery.objects.filter(endpoint=endpoint, state="pending").order_by("event_id")
        for delivery in reversed(list(pending)):
            delivery_attempt(delivery_id=delivery.pk)
    assert event_ids(receiver) == sorted(event_ids(receiver))
    assert len(event_ids(receiver)) == len(prepared)
    assert deliveries_prepare(event=earlier) == []  # already prepared: nothing twice
