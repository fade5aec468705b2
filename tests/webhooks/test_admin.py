"""The Django admin: an endpoint added there is saved through the service and its secret shown once; the rotate
and redeliver actions."""

from __future__ import annotations

from tickets.models import Status
from tickets.services import ticket_change_status
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
