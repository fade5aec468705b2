"""The Django admin: an endpoint added there is saved through the service and its secret shown once; the rotate
and redeliver actions."""

from __future__ import annotations

from django.utils import timezone

from events.models import Event
from tickets.models import Status
from tickets.services import ticket_change_status, ticket_create
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint


def test_adding_an_endpoint_in_the_admin_shows_its_secret_once(client_for, carol, receiver):
    response = client_for(carol).post(
        "/admin/webhooks/webhookendpoint/add/",
        {"url": receiver.url, "description": "ERP", "event_kinds": ["comment.added"], "is_active": "on"},
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 200
    assert endpoint.secret in response.content.decode()
    assert endpoint.created_by == carol and endpoint.event_kinds == ["comment.added"]


def test_the_admin_refuses_an_unsafe_url(client_for, carol, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    response = client_for(carol).post(
        "/admin/webhooks/webhookendpoint/add/", {"url": "http://[fd00:ec2::254]/", "is_active": "on"}
    )
    assert response.status_code == 200
    assert "cloud metadata" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_rotate_action_shows_the_new_secret(client_for, carol, endpoint):
    response = client_for(carol).post(
        "/admin/webhooks/webhookendpoint/", {"action": "rotate_secret", "_selected_action": [endpoint.pk]}
    )
    endpoint.refresh_from_db()
    assert endpoint.secret in response.content.decode()


def test_the_redeliver_action_sends_again(client_for, carol, receiver, endpoint, ticket, bob, on_commit):
    with on_commit():
        ticket_change_status(ticket=ticket, actor=bob, status=Status.OPEN)
    sent = len(receiver.received)
    ids = list(WebhookDelivery.objects.values_list("pk", flat=True))
    with on_commit():
        response = client_for(carol).post(
            "/admin/webhooks/webhookdelivery/", {"action": "redeliver", "_selected_action": ids}
        )
    assert response.status_code == 302
    assert len(receiver.received) == sent + len(ids)


def test_agents_cannot_see_webhooks_in_the_admin(client_for, bob, endpoint):
    assert client_for(bob).get("/admin/webhooks/webhookendpoint/").status_code == 403


def _deliveries_of_new_tickets(endpoint: WebhookEndpoint, alice, count: int) -> None:
    for number in range(WebhookDelivery.objects.count(), WebhookDelivery.objects.count() + count):
        ticket = ticket_create(requester=alice, subject=f"Problem {number}")
        event = Event.objects.filter(ticket=ticket).latest("pk")
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            event=event,
            ticket=ticket,
            kind=event.kind,
            message_id=f"msg_{number}",
            body="{}",
            give_up_at=timezone.now(),
        )


def test_the_delivery_log_lists_30_deliveries_in_as_many_queries_as_3(
    client_for, carol, alice, endpoint, django_assert_max_num_queries
):
    """Each row shows its ticket: it was fetched row by row (a delivery log holds every event of every ticket)."""
    client = client_for(carol)
    _deliveries_of_new_tickets(endpoint, alice, 3)
    with django_assert_max_num_queries(10) as three:
        client.get("/admin/webhooks/webhookdelivery/")
    _deliveries_of_new_tickets(endpoint, alice, 27)

    with django_assert_max_num_queries(len(three)):
        response = client.get("/admin/webhooks/webhookdelivery/")

    assert len(response.context["cl"].result_list) == 30
    assert "Problem 29" in response.content.decode()


def test_deleting_selected_endpoints_goes_through_the_service_as_deleting_one_does(
    client_for, carol, endpoint, monkeypatch
):
    """webhook_endpoint_delete locks the endpoint's deliveries first, as the worker does to record an attempt; the
    list's "Delete selected" deleted the rows directly, without that lock."""
    other = services.webhook_endpoint_create(url="https://93.184.216.34/erp", actor=carol, description="ERP")
    deleted = []
    delete = services.webhook_endpoint_delete

    def recorded(*, endpoint: WebhookEndpoint) -> None:
        deleted.append(endpoint.pk)
        delete(endpoint=endpoint)

    monkeypatch.setattr(services, "webhook_endpoint_delete", recorded)

    response = client_for(carol).post(
        "/admin/webhooks/webhookendpoint/",
        {"action": "delete_selected", "post": "yes", "_selected_action": [endpoint.pk, other.pk]},
    )

    assert response.status_code == 302
    assert sorted(deleted) == sorted([endpoint.pk, other.pk])
    assert not WebhookEndpoint.objects.exists()
