"""The handler on every event kind prepares one delivery per event and subscribed endpoint: running it again adds
nothing, and its cost does not grow with the number of endpoints."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import Event, EventKind
from events.registry import handlers_for
from webhooks.models import WebhookDelivery
from webhooks.services import deliveries_prepare, webhook_endpoint_create
from webhooks.tasks import webhooks_fan_out


def test_the_handler_listens_to_every_event_kind():
    assert all(webhooks_fan_out in handlers_for(kind) for kind in EventKind)


def test_preparing_twice_creates_one_delivery_per_endpoint(receiver, endpoint, carol, ticket, queued):
    other = webhook_endpoint_create(url=receiver.url, actor=carol)
    event = Event.objects.get(ticket=ticket, kind=EventKind.TICKET_CREATED)
    Event.objects.filter(pk=event.pk).update(created_at=other.created_at)
    event.refresh_from_db()
    assert len(deliveries_prepare(event=event)) == 2
    assert deliveries_prepare(event=event) == []
    assert WebhookDelivery.objects.filter(event=event).count() == 2


def prepare_counting_queries(event: Event) -> int:
    with CaptureQueriesContext(connection) as queries:
        deliveries_prepare(event=event)
    WebhookDelivery.objects.all().delete()
    return len(queries.captured_queries)


def test_the_queries_do_not_grow_with_the_endpoints(receiver, carol, ticket, queued):
    event = Event.objects.get(ticket=ticket, kind=EventKind.TICKET_CREATED)
    webhook_endpoint_create(url=receiver.url, actor=carol)
    Event.objects.filter(pk=event.pk).update(created_at=carol.date_joined.replace(year=2100))
    event.refresh_from_db()
    with_one = prepare_counting_queries(event)
    for _ in range(9):
        webhook_endpoint_create(url=receiver.url, actor=carol)
    assert prepare_counting_queries(event) == with_one


def test_an_event_with_no_endpoint_costs_one_query(ticket):
    event = Event.objects.get(ticket=ticket, kind=EventKind.TICKET_CREATED)
    with CaptureQueriesContext(connection) as queries:
        assert deliveries_prepare(event=event) == []
    assert len([query for query in queries.captured_queries if "SAVEPOINT" not in query["sql"]]) == 1
