"""Read queries of the inbound app."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.db.models import BinaryField, F, Q, QuerySet
from django.db.models.functions import Substr

from helpdesk.sql import CompiledQuery
from inbound.models import InboundMessage, InboundStatus, Mailbox, Reason
from notifications.models import Notification
from tickets.models import Category, Comment, Team, Ticket
from tickets.naming import Named, Naming, by_pk


def ticket_id_for_stored_message_ids(message_ids: Sequence[str]) -> int | None:
    """The ticket one of these Message-IDs belongs to: mail we received about it, or a notification we sent about
    it (whose Message-ID is ours but may have been signed with a key since rotated). The nearest reference wins."""
    if not message_ids:
        return None
    wanted = [message_id.lower() for message_id in message_ids]
    found = dict(
        Notification.objects.filter(message_id__in=wanted, ticket__isnull=False).values_list("message_id", "ticket_id")
    )
    found.update(
        InboundMessage.objects.filter(message_id__in=wanted, ticket__isnull=False)
        .order_by("id")
        .values_list("message_id", "ticket_id")
    )
    return next((found[message_id] for message_id in wanted if message_id in found), None)


def our_addresses() -> set[str]:
    """Addresses mail to us arrives at: mail *from* one of them is our own mail coming back."""
    configured = {settings.REPLY_ADDRESS, settings.DEFAULT_FROM_EMAIL}
    configured.update(Mailbox.objects.values_list("address", flat=True))
    return {parseaddr(address)[1].strip().lower() for address in configured if address}


def our_domains() -> set[str]:
    """Domains the SMTP/LMTP listener accepts mail for."""
    return {address.rpartition("@")[2] for address in our_addresses()} | {settings.MAIL_DOMAIN.lower()}


def mailbox_for_addresses(addresses: Sequence[str]) -> Mailbox | None:
    """The mailbox whose address one of these is (a plus-address of it counts), for mail that came by pipe, SMTP
    or webhook: its category and team apply."""
    wanted = []
    for address in addresses:
        local, _, domain = address.lower().rpartition("@")
        wanted += [address.lower(), f"{local.partition('+')[0]}@{domain}"]
    return Mailbox.objects.filter(address__in=wanted).order_by("id").first() if wanted else None


def mails_from_sender_since(*, address: str, since: datetime, up_to_id: int) -> int:
    return InboundMessage.objects.filter(from_address=address, received_at__gt=since, id__lte=up_to_id).count()


def sender_window_start(received_at: datetime) -> datetime:
    return received_at - timedelta(seconds=settings.INBOUND_SENDER_WINDOW_SECONDS)


@dataclass(frozen=True)
class TicketMail:
    opening: InboundMessage | None  # the mail that opened the ticket, for its "full mail" link
    held: list[InboundMessage]  # mail from unverified senders, for an agent to accept or reject


def _ticket_page_mail(ticket_id: int) -> QuerySet[InboundMessage]:
    opening = Q(status=InboundStatus.PROCESSED, comment__isnull=True)
    held = Q(status=InboundStatus.QUARANTINED, reason=Reason.UNVERIFIED_SENDER)
    return InboundMessage.objects.filter(opening | held, ticket=ticket_id).defer("raw").order_by("received_at", "id")


# Compiled once per process (helpdesk.sql): on every view of a ticket the ORM took longer to compile this query than
# the database to answer it. One plan serves every ticket: it is read through the index on the ticket.
_TICKET_PAGE_MAIL = CompiledQuery(_ticket_page_mail)


def ticket_page_mail(ticket: Ticket) -> TicketMail:
    """What the staff ticket page shows of the ticket's mail, in one query."""
    rows = _TICKET_PAGE_MAIL.objects(ticket.pk)
    return TicketMail(
        opening=next((row for row in rows if row.status == InboundStatus.PROCESSED), None),
        held=[row for row in rows if row.status == InboundStatus.QUARANTINED],
    )


# The first bytes of a stored mail, where its headers are, for the full mail page of a mail not read yet: the page
# shows them without loading the mail (up to INBOUND_WEBHOOK_MAX_BYTES) or parsing megabytes of headers.
MAIL_HEAD_BYTES = 64 * 1024


def messages_for_mail_page() -> QuerySet[InboundMessage]:
    """Stored mail with what the worker read of it (`reading`) and, instead of `raw`, its first MAIL_HEAD_BYTES
    (`raw_head`)."""
    return (
        InboundMessage.objects.defer("raw")
        .select_related("reading")
        .annotate(raw_head=Substr("raw", 1, MAIL_HEAD_BYTES, output_field=BinaryField()))
    )


def comments_with_mail_source(comments: QuerySet[Comment]) -> QuerySet[Comment]:
    """Comments annotated with `mail_id`, the stored mail a comment came from, for the "full message" link."""
    return comments.annotate(mail_id=F("inbound_message__id"))


def mailboxes_naming(rows: Sequence[Named]) -> list[Naming]:
    """The mailboxes routing their mail to one of `rows` (teams or categories, all of one kind), active or not: one
    switched back on after the row went would file its mail nowhere."""
    if not rows or not isinstance(rows[0], Team | Category):
        return []
    if isinstance(rows[0], Team):
        field, does = "team", "routes to"
    else:
        field, does = "category", "files its mail under"
    named = by_pk(rows)
    mailboxes = Mailbox.objects.filter(**{f"{field}__in": rows}).order_by("name")
    return [Naming(f"Mailbox “{box.name}”", does, named[getattr(box, f"{field}_id")]) for box in mailboxes]
