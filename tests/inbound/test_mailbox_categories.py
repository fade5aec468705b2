"""A mailbox files its mail under its category; retiring that category must not stop the mailbox."""

from __future__ import annotations

from inbound.models import InboundStatus, Mailbox
from tests.inbound.messages import mail


def test_mail_to_a_mailbox_whose_category_was_retired_still_opens_a_ticket(ingest, category):
    mailbox = Mailbox.objects.create(
        name="billing", address="billing@example.com", host="127.0.0.1", port=993, username="billing",
        category=category,
    )  # fmt: skip
    category.is_active = False
    category.save(update_fields=["is_active"])

    stored = ingest(mail(sender="dana@example.org", to="billing@example.com", subject="Wrong invoice"), mailbox=mailbox)

    assert stored.status == InboundStatus.PROCESSED, stored.detail
    assert stored.ticket.subject == "Wrong invoice"
