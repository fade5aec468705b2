"""What an endpoint subscribes to is read again at each attempt: a delivery waiting for its retry whose kind the
endpoint no longer takes fails, and does not hold back the ticket's next delivery. An endpoint deleted while one of
its deliveries is being sent ends that attempt quietly: there is nothing left to record it on."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections

from events.models import EventKind
from tests.webhooks.conftest import Answer, Received, Receiver, prepared_delivery
from tickets.models import Status
from tickets.services import ticket_change_status
from webhooks.models import DeliveryState, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.services import (
    delivery_attempt,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_update,
)
from webhooks.tasks import webhook_deliver


def test_a_delivery_waiting_for_a_retry_fails_once_its_kind_is_unsubscribed_and_the_ticket_s_next_goes(
    receiver: Receiver, carol, ticket, bob, queued, django_capture_on_commit_callbacks
):
    endpoint = webhook_endpoint_create(
        url=receiver.url, actor=carol, event_kinds=[EventKind.TICKET_CREATED, EventKind.STATUS_CHANGED]
    )
    ticket_change_status(ticket=ticket, actor=bob, status=Status.OPEN)
    created = prepared_delivery(endpoint, ticket)
    changed = prepared_delivery(endpoint, ticket, EventKind.STATUS_CHANGED)
    receiver.answer_with(503)
    delivery_attempt(delivery_id=created.pk, now=created.next_attempt_at)
    created.refresh_from_db()

    webhook_endpoint_update(endpoint=endpoint, event_kinds=[EventKind.STATUS_CHANGED])
    receiver.received.clear()
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        delivery_attempt(delivery_id=created.pk, now=created.next_attempt_at)

    created.refresh_from_db()
    assert (created.state, receiver.received) == (DeliveryState.FAILED, [])
    assert "no longer subscribes" in created.last_error
    assert queued == [(changed.pk, 0)]


def deleting_the_endpoint_first(endpoint: WebhookEndpoint) -> Callable[[Received], Answer]:
    """The receiver's answer: the endpoint is deleted (as an admin would, on its page) while the request is in flight.
    On the test's own connection, which the sending thread is not using meanwhile (as Django's live server shares
    it): the test's rows live in its transaction, which no other connection sees."""
    shared = connections[DEFAULT_DB_ALIAS]

    def respond(request: Received) -> Answer:
        connections[DEFAULT_DB_ALIAS] = shared
        webhook_endpoint_delete(endpoint=endpoint)
        return 200, {}, b"thanks"

    return respond


def test_an_endpoint_deleted_while_its_delivery_is_sent_ends_the_task_quietly(
    receiver: Receiver, endpoint, ticket, caplog
):
    delivery = prepared_delivery(endpoint, ticket)
    endpoint_id = endpoint.pk
    receiver.respond = deleting_the_endpoint_first(endpoint)
    connections[DEFAULT_DB_ALIAS].inc_thread_sharing()
    try:
        with caplog.at_level(logging.INFO, logger="webhooks"):
            webhook_deliver(delivery.pk)  # the worker's task, in this process
    finally:
        connections[DEFAULT_DB_ALIAS].dec_thread_sharing()

    assert len(receiver.received) == 1
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()
    assert not WebhookAttempt.objects.exists()
    connections[DEFAULT_DB_ALIAS].check_constraints()  # what the worker's commit checks: no row points at nothing
    assert [(record.levelno, record.getMessage()) for record in caplog.records] == [
        (
            logging.INFO,
            f"webhook delivery {delivery.pk} not recorded: its endpoint {endpoint_id} was deleted while it was sent",
        )
    ]
