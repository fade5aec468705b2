"""A receiver that answers 410 Gone has gone for good: its endpoint is disabled at once and the admins are told."""

from __future__ import annotations

from tickets.models import Status
from tickets.services import ticket_change_status
from webhooks.models import DeliveryState, WebhookDelivery


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
