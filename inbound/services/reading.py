"""What the worker read of a message, kept for the staff "full mail" page, which never reads a mail in the web request:
a hostile mail takes the reader seconds (a 10 MB nest of <div>s 16 s, 40,000 tiny parts 14 s), which the worker
spends under its task's time limits."""

from __future__ import annotations

from email.message import Message
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from events.services import send_to_worker
from helpdesk.errors import InvalidValue, NotPermitted
from inbound import permissions
from inbound.models import InboundMessage, InboundReading, InboundStatus
from inbound.parsing import ParsedMail, header_text, read_mail

SHOWN_HEADERS = ("From", "To", "Cc", "Reply-To", "Date", "Subject", "Message-ID", "In-Reply-To", "References")
# A header is shown up to this many characters: a person reads a few lines of one, and a mail may carry megabytes.
SHOWN_HEADER_MAX_CHARS = 10_000


def shown_headers(message: Message) -> list[tuple[str, str]]:
    """The headers the page shows, in SHOWN_HEADERS' order, those the mail has."""
    shown = []
    for name in SHOWN_HEADERS:
        value = header_text(message, name)
        if value:
            cut = len(value) > SHOWN_HEADER_MAX_CHARS
            shown.append((name, value[:SHOWN_HEADER_MAX_CHARS] + ("…" if cut else "")))
    return shown


def inbound_reading_keep(*, message: InboundMessage, mail: ParsedMail) -> InboundReading:
    """Keep what was read of the message (again, when it is read again: reprocessed)."""
    reading, _ = InboundReading.objects.update_or_create(
        message=message,
        defaults={
            "read_at": timezone.now(),
            "headers": shown_headers(mail.message),
            "text": mail.text,
            "html": mail.html,  # sanitised by inbound.html.sanitize_html as it was read
            "parts": [
                {
                    "filename": part.filename,
                    "content_type": part.content_type,
                    "size": len(part.data),
                    "inline": bool(part.content_id),
                }
                for part in mail.attachments
            ],
            "parts_unread_after": mail.parts_unread_after,
        },
    )
    return reading


def unread_because(message: InboundMessage) -> str:
    """Why the worker will not read the message when asked (inbound_read_request), or "" when it will."""
    if message.status == InboundStatus.RECEIVED:
        return "It will be read when the worker processes it."
    if message.size > settings.INBOUND_MAX_BYTES:
        return "It is larger than the size limit, which is what keeps the worker from reading it."
    return ""


@transaction.atomic
def inbound_read_request(*, message: InboundMessage, actor: User) -> None:
    """Have the worker read a decided message it kept no reading of (stored before readings were kept, or its
    processing failed), for the full mail page."""
    if not permissions.can_read_mail(actor):
        raise NotPermitted("Only staff may read stored mail.")
    message = InboundMessage.objects.defer("raw").select_related("reading").get(pk=message.pk)
    if hasattr(message, "reading"):
        raise InvalidValue("This mail has been read already.")
    refusal = unread_because(message)
    if refusal:
        raise InvalidValue(refusal)
    transaction.on_commit(partial(_queue_reading, message.pk))


def _queue_reading(message_id: int) -> None:
    from inbound.tasks import inbound_read_message  # tasks import the services: imported when first needed

    send_to_worker(inbound_read_message, message_id)


@transaction.atomic
def inbound_read(*, message_id: int) -> None:
    """Read a decided message that has no reading yet and keep what was read. Safe to repeat. The message's row is
    locked as processing locks it, so that one reading is kept."""
    message = InboundMessage.objects.select_for_update().filter(pk=message_id).first()
    if message is None or unread_because(message) or InboundReading.objects.filter(message=message).exists():
        return
    inbound_reading_keep(message=message, mail=read_mail(bytes(message.raw)))
