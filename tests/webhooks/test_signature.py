"""A delivery carries the Standard Webhooks headers, and the reference verifier accepts its signature."""

from __future__ import annotations

import json

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tickets.models import Status
from tickets.services import ticket_change_status
from webhooks.models import DeliveryState, WebhookDelivery


def test_a_status_change_arrives_signed_and_the_reference_verifier_accepts_it(
    receiver, endpoint, ticket, bob, on_commit
):
    with on_commit():
        ticket_change_status(ticket=ticket, actor=bob, status=Status.OPEN)

    request = receiver.received[-1]
    payload = Webhook(endpoint.secret).verify(request.body, request.headers)
    assert payload["type"] == "ticket.status_changed"
    assert payload["data"]["ticket"]["id"] == ticket.pk
    assert payload["data"]["ticket"]["status"] == "open"
    assert payload["data"]["details"] == {"old": "new", "new": "open"}
    assert request.headers["webhook-signature"].startswith("v1,")
    assert request.headers["Content-Type"] == "application/json"
    delivery = WebhookDelivery.objects.get(endpoint=endpoint, kind="ticket.status_changed")
    assert request.headers["webhook-id"] == delivery.message_id
    assert delivery.state == DeliveryState.SUCCEEDED


def test_the_ticket_is_shown_as_the_api_shows_it_to_an_admin(
    receiver, endpoint, ticket, bob, on_commit, api_client_for, carol
):
    with on_commit():
        ticket_change_status(ticket=ticket, actor=bob, status=Status.OPEN)

    sent = json.loads(receiver.received[-1].body)["data"]["ticket"]
    api = api_client_for(carol).get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert sent == api


def test_a_tampered_body_or_another_secret_does_not_verify(receiver, endpoint, ticket, bob, on_commit):
    with on_commit():
        ticket_change_status(ticket=ticket, actor=bob, status=Status.OPEN)

    request = receiver.received[-1]
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(request.body.replace(b"open", b"closed"), request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43 + "=").verify(request.body, request.headers)
