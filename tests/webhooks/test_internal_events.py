"""Internal notes (and every staff-only event) reach only endpoints subscribed to internal events."""

from __future__ import annotations

import json

from events.models import EventKind
from tests.webhooks.conftest import Receiver, prepared_delivery
from tickets.services import comment_create
from webhooks.models import DeliveryState
from webhooks.services import delivery_attempt, webhook_endpoint_create, webhook_endpoint_update


def bodies(receiver) -> list[dict]:
    return [json.loads(request.body) for request in receiver.received]


def test_an_internal_note_is_not_sent_to_an_endpoint_without_internal_events(
    receiver, endpoint, ticket, bob, on_commit
):
    with on_commit():
        comment_create(ticket=ticket, author=bob, body="Customer is on the naughty list", internal=True)
    assert all("naughty" not in request.body.decode() for request in receiver.received)
    assert all(body["data"]["internal"] is False for body in bodies(receiver))


def test_an_internal_note_is_sent_to_an_endpoint_that_takes_internal_events(receiver, carol, ticket, bob, on_commit):
    internal = webhook_endpoint_create(
        url=receiver.url, actor=carol, include_internal=True, event_kinds=["comment.added"]
    )
    with on_commit():
        comment_create(ticket=ticket, author=bob, body="Customer is on the naughty list", internal=True)
    (body,) = bodies(receiver)
    assert body["type"] == "comment.added" and body["data"]["internal"] is True
    assert body["data"]["comment"]["body"] == "Customer is on the naughty list"
    assert body["data"]["comment"]["internal"] is True
    assert receiver.received[0].headers["webhook-id"] in set(internal.deliveries.values_list("message_id", flat=True))


def test_a_public_reply_is_sent_with_its_comment(receiver, endpoint, ticket, bob, on_commit):
    with on_commit():
        comment_create(ticket=ticket, author=bob, body="We refunded you.")
    comment_events = [body for body in bodies(receiver) if body["type"] == "comment.added"]
    assert comment_events[0]["data"]["comment"]["body"] == "We refunded you."


def test_only_the_subscribed_kinds_are_sent(receiver, carol, ticket, bob, on_commit):
    webhook_endpoint_create(url=receiver.url, actor=carol, event_kinds=["ticket.requester_replied"])
    with on_commit():
        comment_create(ticket=ticket, author=bob, body="We refunded you.")  # a staff reply, not the requester's
    assert receiver.received == []


def test_internal_notes_waiting_for_a_retry_are_not_sent_once_internal_events_are_switched_off(
    receiver: Receiver, carol, ticket, bob, queued
):
    endpoint = webhook_endpoint_create(
        url=receiver.url, actor=carol, include_internal=True, event_kinds=["comment.added"]
    )
    comment_create(ticket=ticket, author=bob, body="Customer is on the naughty list", internal=True)
    delivery = prepared_delivery(endpoint, ticket, EventKind.COMMENT_ADDED)

    receiver.answer_with(503)  # the receiver is down for a moment: the note waits for its retry
    delivery_attempt(delivery_id=delivery.pk, now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING

    # The admin realises this receiver must not get staff-only notes (README: "without it these are never sent").
    webhook_endpoint_update(endpoint=endpoint, include_internal=False)
    receiver.received.clear()
    receiver.answer_with(200)
    delivery_attempt(delivery_id=delivery.pk, now=delivery.next_attempt_at)

    assert all(b"naughty" not in request.body for request in receiver.received), "the internal note was still sent"
