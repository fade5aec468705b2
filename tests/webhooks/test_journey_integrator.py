"""Done means: an integrator registers an endpoint through the API, closes a ticket through the API and verifies
the signed delivery with the reference library; their endpoint then answers 500 for an hour, and afterwards gets
every event, in order. A real receiver on 127.0.0.1; the clock is injected, the worker runs in-process."""

from __future__ import annotations

import json
from datetime import timedelta

from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from webhooks.models import DeliveryState, WebhookDelivery
from webhooks.services import webhooks_sweep


def test_register_close_verify_then_an_hour_of_500s_loses_nothing_and_keeps_order(
    api_client_for, carol, alice, category, receiver, django_capture_on_commit_callbacks, clock
):
    integrator = api_client_for(carol)

    def api(method: str, path: str, body: dict | None = None):
        with django_capture_on_commit_callbacks(execute=True):
            return getattr(integrator, method)(f"/api/v1{path}", body, format="json")

    registered = api("post", "/webhooks/", {"url": receiver.url, "description": "Integration"})
    assert registered.status_code == 201
    secret = registered.json()["secret"]
    verifier = Webhook(secret)

    ticket = api("post", "/tickets/", {"subject": "VPN down", "requester": alice.pk, "category": category.pk}).json()
    closed = api("patch", f"/tickets/{ticket['id']}/", {"status": "closed"})
    assert closed.status_code == 200

    delivered = verifier.verify(receiver.received[-1].body, receiver.received[-1].headers)
    assert delivered["type"] == "ticket.status_changed"
    assert delivered["data"]["ticket"]["id"] == ticket["id"]
    assert delivered["data"]["ticket"]["status"] == "closed"
    details = delivered["data"]["details"]
    assert {key: value for key, value in details.items() if key != "cause"} == {"old": "new", "new": "closed"}
    assert details["cause"]["edit"]  # the same for every event of the one PATCH

    # The receiver goes down for an hour; the helpdesk keeps working.
    outage_ends = timezone.now() + timedelta(hours=1)
    accepted: list[dict] = []

    def down_for_an_hour(request):
        if timezone.now() < outage_ends:
            return 500, {}, b"upstream unavailable"
        accepted.append(verifier.verify(request.body, request.headers))
        return 204, {}, b""

    receiver.respond = down_for_an_hour
    before_the_outage = set(WebhookDelivery.objects.values_list("event_id", flat=True))
    api("patch", f"/tickets/{ticket['id']}/", {"status": "open"})
    api("post", f"/tickets/{ticket['id']}/comments/", {"body": "Restarted the concentrator."})
    clock.shift(timedelta(minutes=5))
    api("patch", f"/tickets/{ticket['id']}/", {"status": "pending"})
    other = api("post", "/tickets/", {"subject": "Printer jam", "requester": alice.pk}).json()
    api("patch", f"/tickets/{ticket['id']}/", {"status": "resolved"})
    api("patch", f"/tickets/{other['id']}/", {"status": "closed"})
    assert accepted == []

    # The worker's beat: a sweep every minute until everything is through.
    deadline = timezone.now() + timedelta(hours=4)
    while WebhookDelivery.objects.exclude(state=DeliveryState.SUCCEEDED).exists():
        assert timezone.now() < deadline, list(WebhookDelivery.objects.values_list("state", "attempts"))
        clock.shift(timedelta(minutes=1))
        with django_capture_on_commit_callbacks(execute=True):
            webhooks_sweep()

    assert timezone.now() >= outage_ends
    assert max(WebhookDelivery.objects.values_list("attempts", flat=True)) >= 5  # retried through the hour
    expected = WebhookDelivery.objects.exclude(event_id__in=before_the_outage).order_by("event_id")
    got = [body["data"]["event_id"] for body in accepted]
    assert sorted(got) == [delivery.event_id for delivery in expected]  # every event since, exactly once
    for ticket_id in (ticket["id"], other["id"]):
        of_ticket = [body["data"]["event_id"] for body in accepted if body["data"]["ticket"]["id"] == ticket_id]
        assert of_ticket == sorted(of_ticket)  # and each ticket's in the order they happened
    kinds = [body["type"] for body in accepted if body["data"]["ticket"]["id"] == ticket["id"]]
    assert kinds == ["ticket.status_changed", "comment.added", "ticket.status_changed", "ticket.status_changed"]
    assert all(json.loads(request.body)["type"] for request in receiver.received)
