"""The sender connects to the address the SSRF check approved: a DNS answer that changes between the check and
the connection (DNS rebinding) cannot move the request, and no redirect is followed."""

from __future__ import annotations

import socket

from tickets.models import Status
from tickets.services import ticket_change_status
from webhooks.models import WebhookAttempt, WebhookEndpoint
from webhooks.services import webhook_endpoint_create

REBINDING_NAME = "hooks.rebinding.test"


def test_a_changing_dns_answer_cannot_redirect_the_request(
    receiver, carol, ticket, bob, on_commit, monkeypatch, settings
):
    settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS = 1
    real_getaddrinfo = socket.getaddrinfo
    lookups: list[str] = []

    def rebinding(host, port, *args, **kwargs):
        if host == REBINDING_NAME:
            lookups.append(host)
            # the first answer is the allowed receiver; a second lookup (at connect time) would get a private one
            address = "127.0.0.1" if len(lookups) % 2 else "10.255.255.1"
            return real_getaddrinfo(address, port, *args, **kwargs)
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    webhook_endpoint_create(
        url=f"http://{REBINDING_NAME}:{receiver.port}/hooks", actor=carol, event_kinds=["ticket.status_changed"]
    )
    lookups.clear()  # the check when it was saved
    with on_commit():
        ticket_change_status(ticket=ticket, actor=bob, status=Status.OPEN)

    assert lookups == [REBINDING_NAME]  # checked once, then connected to that very address
    assert [request.headers["Host"] for request in receiver.received] == [f"{REBINDING_NAME}:{receiver.port}"]
    assert WebhookAttempt.objects.get().status_code == 200


def test_a_name_that_now_resolves_to_a_private_address_is_not_sent_to(
    receiver, endpoint, ticket, bob, on_commit, monkeypatch
):
    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **k: real_getaddrinfo("10.0.0.7" if host == REBINDING_NAME else host, port, *a, **k),
    )
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=f"http://{REBINDING_NAME}:{receiver.port}/hooks")
    with on_commit():
        ticket_change_status(ticket=ticket, actor=bob, status=Status.OPEN)
    assert receiver.received == []
    attempt = WebhookAttempt.objects.get()
    assert "Not sent" in attempt.error and "10.0.0.7 is a private address" in attempt.error


def test_a_redirect_is_not_followed(receiver, endpoint, ticket, bob, on_commit):
    receiver.answer_with(302, {"Location": "http://169.254.169.254/latest/meta-data/"})
    with on_commit():
        ticket_change_status(ticket=ticket, actor=bob, status=Status.OPEN)
    assert len(receiver.received) == 1
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code == 302 and not attempt.succeeded
