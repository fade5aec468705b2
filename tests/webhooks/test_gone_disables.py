"""A receiver that answers 410 Gone has gone for good: its endpoint is disabled at once and the admins are told."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import Role
from accounts.services import user_create, user_update
from events.models import Event, EventKind
from notifications.models import Notification, NotificationStatus
from notifications.services import notifications_resend, notifications_sweep
from tests.conftest import PASSWORD
from tests.support.mail_sink import SmtpSink
from tests.webhooks.conftest import Receiver, prepared_delivery
from tickets.models import Status
from tickets.services import ticket_change_status
from webhooks.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from webhooks.notifications import mail_admins_endpoint_disabled
from webhooks.services import delivery_attempt, webhook_endpoint_update


def test_410_gone_disables_the_endpoint_and_mails_the_admins(
    receiver, endpoint, ticket, bob, carol, on_commit, mailoutbox
):
    receiver.answer_with(410)
    with on_commit():
        ticket_change_status(ticket=ticket, actor=bob, status=Status.OPEN)

    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert "410" in endpoint.disabled_reason
    states = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("event_id").values_list("state", flat=True)
    assert list(states) == [DeliveryState.FAILED, DeliveryState.PENDING]  # the rest wait for it to be enabled
    assert len(receiver.received) == 1
    assert [mail.to for mail in mailoutbox] == [[carol.email]]
    assert "410 Gone" in mailoutbox[0].body


def test_a_disabled_endpoint_is_sent_nothing_more(receiver, endpoint, ticket, bob, on_commit):
    receiver.answer_with(410)
    with on_commit():
        ticket_change_status(ticket=ticket, actor=bob, status=Status.OPEN)
    sent = len(receiver.received)
    receiver.answer_with(200)
    with on_commit():
        ticket_change_status(ticket=ticket, actor=bob, status=Status.PENDING)
    assert len(receiver.received) == sent
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 2  # nothing prepared while disabled


def test_admins_are_mailed_when_an_endpoint_whose_description_has_two_lines_is_disabled(
    api_client_for, receiver: Receiver, carol, ticket, bob, queued, mailoutbox, django_capture_on_commit_callbacks
):
    response = api_client_for(carol).post(
        "/api/v1/webhooks/",
        {"url": receiver.url, "description": "CRM sync\nOwner: sales ops"},
        format="json",
    )
    assert response.status_code == 201, response.content
    endpoint = WebhookEndpoint.objects.get(pk=response.json()["id"])
    ticket_change_status(ticket=ticket, actor=bob, status=Status.OPEN)
    delivery = prepared_delivery(endpoint, ticket, EventKind.STATUS_CHANGED)

    receiver.answer_with(410)
    with django_capture_on_commit_callbacks(execute=True):
        delivery_attempt(delivery_id=delivery.pk, now=delivery.next_attempt_at)

    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert [mail.to for mail in mailoutbox] == [[carol.email]]


def test_the_admins_mail_waits_out_a_mail_server_that_is_down(
    receiver: Receiver, endpoint, ticket, carol, queued, settings, django_capture_on_commit_callbacks
):
    """The endpoint is disabled while the mail server is down: the admins' mail is kept, and goes out once it is up."""
    sink = SmtpSink()  # not started yet: its port refuses connections
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    delivery = prepared_delivery(endpoint, ticket)

    receiver.answer_with(410)
    with django_capture_on_commit_callbacks(execute=True):
        delivery_attempt(delivery_id=delivery.pk, now=delivery.next_attempt_at)

    endpoint.refresh_from_db()
    assert not endpoint.is_active
    kept = Notification.objects.get(kind="webhook_disabled")
    assert (kept.address, kept.status) == (carol.email, NotificationStatus.FAILED)
    assert "Connection refused" in kept.last_error

    sink.start()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            notifications_resend(notifications=[kept])
        [message] = sink.messages()
    finally:
        sink.stop()
    assert message["To"] == carol.email and "410 Gone" in message.get_body(("plain",)).get_content()


def test_an_admin_demoted_while_the_mail_waited_is_not_sent_it(
    receiver: Receiver, endpoint, ticket, carol, queued, settings, django_capture_on_commit_callbacks, mailoutbox
):
    """The notice names the endpoint's URL (often with a token in it) and links to an admin-only page."""
    delivery = prepared_delivery(endpoint, ticket)
    receiver.answer_with(410)
    with django_capture_on_commit_callbacks(execute=False):
        delivery_attempt(delivery_id=delivery.pk, now=delivery.next_attempt_at)
    with django_capture_on_commit_callbacks(execute=False):  # the mail server is down: queued, not handed over
        mail_admins_endpoint_disabled(event=Event.objects.get(kind=EventKind.WEBHOOK_DISABLED))
    other_admin = user_create(email="dave@example.com", password=PASSWORD, name="Dave", role=Role.ADMIN)
    user_update(user=carol, actor=other_admin, role=Role.REQUESTER)

    later = timezone.now() + timedelta(seconds=settings.EVENT_REDELIVER_AFTER_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        notifications_sweep(now=later)

    assert mailoutbox == []
    withdrawn = Notification.objects.get(kind="webhook_disabled")
    assert (withdrawn.address, withdrawn.status) == (carol.email, NotificationStatus.FAILED)
    assert withdrawn.last_error == "Not sent: the recipient was no longer an admin when it went out."


def test_deliveries_that_waited_while_disabled_are_still_retried_after_the_endpoint_is_enabled(
    clock, receiver: Receiver, endpoint, ticket, bob, queued
):
    ticket_change_status(ticket=ticket, actor=bob, status=Status.OPEN)
    first = prepared_delivery(endpoint, ticket)
    waiting = prepared_delivery(endpoint, ticket, EventKind.STATUS_CHANGED)
    receiver.answer_with(410)  # the receiver is being moved: the endpoint is disabled, `waiting` waits for it
    delivery_attempt(delivery_id=first.pk)
    endpoint.refresh_from_db()
    assert not endpoint.is_active

    clock.shift(timedelta(days=3))  # the receiver is back; an admin enables the endpoint (API, page or admin)
    webhook_endpoint_update(endpoint=endpoint, is_active=True)
    receiver.answer_with(503)  # one hiccup on the first try
    delivery_attempt(delivery_id=waiting.pk)

    waiting.refresh_from_db()
    endpoint.refresh_from_db()
    assert (waiting.state, endpoint.is_active) == (DeliveryState.PENDING, True), (
        f"after one 503: {waiting.state}, endpoint disabled again: {endpoint.disabled_reason!r}"
    )
