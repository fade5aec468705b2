"""An endpoint's delivery log in the API, and redeliver."""

from __future__ import annotations

from standardwebhooks.webhooks import Webhook

from tests.support.api import assert_error_body
from tickets.models import Status
from tickets.services import ticket_change_status
from webhooks.models import DeliveryState, WebhookDelivery, WebhookEndpoint

WEBHOOKS = "/api/v1/webhooks/"


def test_the_log_shows_each_attempt_newest_delivery_first(
    api_client_for, carol, receiver, endpoint, ticket, bob, on_commit
):
    receiver.answer_with(500, body=b"oops")
    with on_commit():
        ticket_change_status(ticket=ticket, actor=bob, status=Status.OPEN)
    results = api_client_for(carol).get(f"{WEBHOOKS}{endpoint.pk}/deliveries/").json()["results"]
    assert [item["kind"] for item in results] == ["ticket.status_changed", "ticket.created"]
    first = results[-1]
    assert first["state"] == "pending" and first["attempts"] == 1 and first["last_status"] == 500
    (attempt,) = first["attempt_log"]
    assert attempt["number"] == 1 and attempt["status_code"] == 500 and attempt["duration_ms"] >= 0
    assert "HTTP 500" in attempt["response_head"] and "oops" in attempt["response_head"]
    assert results[0]["attempts"] == 0  # waiting for the first, in order


def test_redeliver_sends_the_same_message_again(api_client_for, carol, receiver, endpoint, ticket, bob, on_commit):
    with on_commit():
        ticket_change_status(ticket=ticket, actor=bob, status=Status.OPEN)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint, kind="ticket.status_changed")
    sent = len(receiver.received)
    with on_commit():
        response = api_client_for(carol).post(f"{WEBHOOKS}{endpoint.pk}/deliveries/{delivery.pk}/redeliver")
    assert response.status_code == 202
    assert len(receiver.received) == sent + 1
    again = receiver.received[-1]
    assert again.headers["webhook-id"] == delivery.message_id
    Webhook(endpoint.secret).verify(again.body, again.headers)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCEEDED and delivery.attempts == 2
    detail = api_client_for(carol).get(f"{WEBHOOKS}{endpoint.pk}/deliveries/{delivery.pk}/").json()
    assert [attempt["number"] for attempt in detail["attempt_log"]] == [1, 2]


def test_redeliver_to_a_disabled_endpoint_is_refused(api_client_for, carol, receiver, endpoint, ticket, bob, on_commit):
    with on_commit():
        ticket_change_status(ticket=ticket, actor=bob, status=Status.OPEN)
    delivery = WebhookDelivery.objects.filter(endpoint=endpoint).first()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    response = api_client_for(carol).post(f"{WEBHOOKS}{endpoint.pk}/deliveries/{delivery.pk}/redeliver")
    assert_error_body(response, 400, "invalid")


def test_a_delivery_of_another_endpoint_is_404(api_client_for, carol, receiver, endpoint, ticket, bob, on_commit):
    from webhooks.services import webhook_endpoint_create

    other = webhook_endpoint_create(url=receiver.url, actor=carol)
    with on_commit():
        ticket_change_status(ticket=ticket, actor=bob, status=Status.OPEN)
    delivery = WebhookDelivery.objects.filter(endpoint=endpoint).first()
    client = api_client_for(carol)
    assert_error_body(client.get(f"{WEBHOOKS}{other.pk}/deliveries/{delivery.pk}/"), 404, "not_found")
    assert_error_body(client.post(f"{WEBHOOKS}{other.pk}/deliveries/{delivery.pk}/redeliver"), 404, "not_found")


def test_the_log_takes_a_bounded_number_of_queries(
    api_client_for, carol, receiver, endpoint, ticket, bob, on_commit, django_assert_max_num_queries
):
    for status in (Status.OPEN, Status.PENDING, Status.OPEN, Status.PENDING):
        with on_commit():
            ticket_change_status(ticket=ticket, actor=bob, status=status)
    client = api_client_for(carol)
    with django_assert_max_num_queries(10):
        assert len(client.get(f"{WEBHOOKS}{endpoint.pk}/deliveries/").json()["results"]) == 5
