"""A `mail.bounced` event (inbound mail read a bounce) marks the mail it returns as bounced, found by Message-ID."""

from __future__ import annotations

from django.core import mail

from notifications.models import Notification, NotificationStatus
from tickets.models import TicketEventKind
from tickets.services import comment_create
from tickets.services.audit import record_event


def test_the_bounced_mail_is_found_by_its_message_id(worker, ticket, bob):
    worker(lambda: comment_create(ticket=ticket, author=bob, body="One"))
    worker(lambda: comment_create(ticket=ticket, author=bob, body="Two"))
    first, second = Notification.objects.order_by("pk")

    worker(
        lambda: record_event(
            ticket=ticket,
            actor=None,
            kind=TicketEventKind.BOUNCE,
            new="alice@example.com 5.1.1",
            payload={"addresses": ["alice@example.com"], "status": "5.1.1", "message_ids": [first.message_id]},
        )
    )

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (NotificationStatus.BOUNCED, NotificationStatus.SENT)
    assert len(mail.outbox) == 2  # a bounce sends nothing


def test_a_bounce_through_inbound_mail_marks_the_notification(worker, ticket, bob, ingest):
    from tests.inbound.test_machine_mail import _postfix_bounce

    worker(lambda: comment_create(ticket=ticket, author=bob, body="One"))
    sent = Notification.objects.get()

    ingest(_postfix_bounce(original_message_id=sent.message_id))

    sent.refresh_from_db()
    assert sent.status == NotificationStatus.BOUNCED


def test_an_exim_bounce_marks_only_the_returned_mail_not_the_earlier_ones_it_references(worker, ticket, bob, ingest):
    from tests.inbound.test_machine_mail import _exim_bounce

    worker(lambda: comment_create(ticket=ticket, author=bob, body="One"))
    worker(lambda: comment_create(ticket=ticket, author=bob, body="Two"))
    first, second = Notification.objects.order_by("pk")
    returned = mail.outbox[-1].message()  # Exim copies the returned mail, threading headers and all, into its text
    assert returned["References"] == first.message_id

    ingest(
        _exim_bounce(original_message_id=second.message_id, failed="alice@example.com").replace(
            b"Subject: [#1] Invoice", f"In-Reply-To: {first.message_id}\r\nReferences: {first.message_id}".encode()
        )
    )

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (NotificationStatus.SENT, NotificationStatus.BOUNCED)
