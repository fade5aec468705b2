"""After a rotation both secrets sign for 24 hours, so a receiver can switch without missing a delivery; after
that only the new one does. The reference verifier decides."""

from __future__ import annotations

from datetime import timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tickets.models import Status
from tickets.services import ticket_change_status
from webhooks.models import WebhookDelivery
from webhooks.services import delivery_redeliver, webhook_endpoint_rotate_secret


def test_the_old_secret_still_verifies_for_a_day_and_then_no_longer(receiver, endpoint, ticket, bob, on_commit, clock):
    old_secret = endpoint.secret
    rotated = webhook_endpoint_rotate_secret(endpoint=endpoint)
    assert rotated.secret != old_secret and rotated.secret.startswith("whsec_")

    clock.shift(timedelta(hours=23, minutes=59))
    with on_commit():
        ticket_change_status(ticket=ticket, actor=bob, status=Status.OPEN)
    request = receiver.received[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    Webhook(old_secret).verify(request.body, request.headers)
    Webhook(rotated.secret).verify(request.body, request.headers)

    clock.shift(timedelta(minutes=2))
    delivery = WebhookDelivery.objects.get(message_id=request.headers["webhook-id"])
    with on_commit():
        delivery_redeliver(delivery=delivery)
    request = receiver.received[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 1
    Webhook(rotated.secret).verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old_secret).verify(request.body, request.headers)


def test_secrets_are_stored_encrypted(endpoint):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM webhooks_webhookendpoint WHERE id = %s", [endpoint.pk])
        (raw,) = cursor.fetchone()
    assert endpoint.secret not in raw
    assert endpoint.secret.removeprefix("whsec_") not in raw
