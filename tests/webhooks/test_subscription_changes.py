"""What an endpoint subscribes to is read again at each attempt: a delivery waiting for its retry whose kind the
endpoint no longer takes fails, and does not hold back the ticket's next delivery."""

from __future__ import annotations

from events.models import EventKind
from tests.webhooks.conftest import Receiver, prepared_delivery
from tickets.models import Status
from tickets.services import ticket_change_status
from webhooks.models import DeliveryState
from webhooks.services import delivery_attempt, webhook_endpoint_create, webhook_endpoint_update


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
