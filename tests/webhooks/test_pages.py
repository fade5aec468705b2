"""The Webhooks page: admins register endpoints (the secret shown once), change them, rotate, redeliver; agents get
403 and requesters 404."""

from __future__ import annotations

import pytest

from tickets.models import Status
from tickets.services import ticket_change_status
from webhooks.models import WebhookDelivery, WebhookEndpoint

LIST = "/staff/webhooks/"


def test_an_admin_registers_an_endpoint_and_sees_its_secret_once(client_for, carol, receiver):
    client = client_for(carol)
    response = client.post(
        LIST, {"url": receiver.url, "description": "CRM", "event_kinds": ["ticket.status_changed"], "is_active": "on"}
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 200
    assert endpoint.secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert endpoint.event_kinds == ["ticket.status_changed"] and endpoint.is_active
    assert endpoint.secret not in client.get(LIST).content.decode()
    assert endpoint.secret not in client.get(f"{LIST}{endpoint.pk}/").content.decode()


def test_an_unsafe_url_is_refused_on_the_page(client_for, carol, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    response = client_for(carol).post(LIST, {"url": "http://localhost:8000/hooks", "is_active": "on"})
    assert response.status_code == 200
    assert "is a loopback address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_an_admin_changes_an_endpoint(client_for, carol, endpoint):
    response = client_for(carol).post(
        f"{LIST}{endpoint.pk}/", {"url": endpoint.url, "description": "Paused", "include_internal": "on"}
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.description, endpoint.is_active, endpoint.include_internal) == ("Paused", False, True)


def test_rotating_on_the_page_shows_the_new_secret(client_for, carol, endpoint):
    response = client_for(carol).post(f"{LIST}{endpoint.pk}/rotate-secret/")
    endpoint.refresh_from_db()
    assert endpoint.secret in response.content.decode()
    assert endpoint.previous_secret_expires_at is not None


def test_the_log_shows_attempts_and_redeliver_sends_again(
    client_for, carol, receiver, endpoint, ticket, bob, on_commit
):
    receiver.answer_with(503, body=b"maintenance")
    with on_commit():
        ticket_change_status(ticket=ticket, actor=bob, status=Status.OPEN)
    client = client_for(carol)
    page = client.get(f"{LIST}{endpoint.pk}/").content.decode()
    assert "HTTP 503" in page and "maintenance" in page and "Redeliver" in page

    receiver.answer_with(200)
    delivery = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("event_id").first()
    with on_commit():
        response = client.post(f"{LIST}{endpoint.pk}/deliveries/{delivery.pk}/redeliver/")
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == "succeeded"
    assert receiver.received[-1].headers["webhook-id"] in set(
        WebhookDelivery.objects.filter(endpoint=endpoint).values_list("message_id", flat=True)
    )


def test_an_admin_deletes_an_endpoint(client_for, carol, endpoint):
    assert client_for(carol).post(f"{LIST}{endpoint.pk}/delete/").status_code == 302
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("bob", 403), ("mallory", 404)])
def test_agents_get_403_and_requesters_404(client_for, who, status, request, endpoint):
    client = client_for(request.getfixturevalue(who))
    assert client.get(LIST).status_code == status
    assert client.get(f"{LIST}{endpoint.pk}/").status_code == status
    assert client.post(f"{LIST}{endpoint.pk}/rotate-secret/").status_code == status
    assert client.post(f"{LIST}{endpoint.pk}/delete/").status_code == status
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_the_log_page_takes_a_bounded_number_of_queries(
    client_for, carol, receiver, endpoint, ticket, bob, on_commit, django_assert_max_num_queries
):
    for status in (Status.OPEN, Status.PENDING, Status.OPEN):
        with on_commit():
            ticket_change_status(ticket=ticket, actor=bob, status=status)
    client = client_for(carol)
    with django_assert_max_num_queries(15):
        assert client.get(f"{LIST}{endpoint.pk}/").status_code == 200
