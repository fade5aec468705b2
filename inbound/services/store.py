"""The first thing every door does: store the raw bytes, once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from events.services import send_to_worker
from inbound.models import InboundMessage, InboundStatus, Mailbox, Reason
from inbound.parsing import header_text, message_ids_as_sent, parse_headers, sender_of

MESSAGE_ID_MAX_BYTES = 998  # RFC 5322's line limit, as the columns hold


@dataclass(frozen=True)
class Stored:
    message: InboundMessage
    created: bool  # False: this message was already stored (fetched twice, delivered twice)


@transaction.atomic
def inbound_store(
    *, raw: bytes, source: str, source_id: str = "", mailbox: Mailbox | None = None, envelope_recipient: str = ""
) -> Stored:
    """Store a message as it arrived and queue it for the worker. Idempotent on the door's own id (`source_id`)
    and on Message-ID + SHA-256, so a message fetched or delivered twice is stored, and processed, once."""
    digest = hashlib.sha256(raw).hexdigest()
    headers = parse_headers(raw)
    own_ids = message_ids_as_sent(headers, "Message-ID")
    message_id_as_sent = _bounded(own_ids[0]) if own_ids else ""
    message_id = _bounded(message_id_as_sent.lower())
    existing = _already_stored(source=source, source_id=source_id, message_id=message_id, sha256=digest)
    if existing is not None:
        return Stored(existing, created=False)
    try:
        with transaction.atomic():  # a savepoint: a concurrent copy of the same message wins, this one is a no-op
            message = InboundMessage.objects.create(
                source=source,
                source_id=source_id[:255],
                mailbox=mailbox,
                raw=raw,
                sha256=digest,
                size=len(raw),
                message_id=message_id,
                message_id_as_sent=message_id_as_sent,
                from_address=sender_of(headers).address,
                subject=header_text(headers, "Subject")[:255],
                envelope_recipient=envelope_recipient.lower()[:320],
            )
    except IntegrityError:
        existing = _already_stored(source=source, source_id=source_id, message_id=message_id, sha256=digest)
        if existing is None:
            raise
        return Stored(existing, created=False)
    transaction.on_commit(partial(queue_processing, message.pk))
    return Stored(message, created=True)


@transaction.atomic
def inbound_keep_unreadable(*, raw: bytes, source: str, subject: str, detail: str) -> InboundMessage:
    """Keep what a door received but could not read as mail (a provider's post its library refused), quarantined as
    failed with the reason, where an admin reads failed mail. It is not queued: no mail was read from it. Bytes
    already stored are that row, as the key on Message-ID and hash (both "" and the same here) allows one."""
    digest = hashlib.sha256(raw).hexdigest()
    existing = _already_stored(source=source, source_id="", message_id="", sha256=digest)
    if existing is not None:
        return existing
    return InboundMessage.objects.create(
        source=source,
        raw=raw,
        sha256=digest,
        size=len(raw),
        subject=subject[:255],
        status=InboundStatus.QUARANTINED,
        reason=Reason.FAILED,
        detail=detail,
        processed_at=timezone.now(),
    )


def _bounded(message_id: str) -> str:
    """At most MESSAGE_ID_MAX_BYTES in UTF-8: a non-ASCII Message-ID (RFC 6532) counted in characters overflows
    PostgreSQL's index (2704 bytes), and lower-casing can lengthen it ("İ" is two characters lower-cased)."""
    return message_id.encode()[:MESSAGE_ID_MAX_BYTES].decode(errors="ignore")


def _already_stored(*, source: str, source_id: str, message_id: str, sha256: str) -> InboundMessage | None:
    same_bytes = Q(message_id=message_id, sha256=sha256)
    same_door_id = Q(source=source, source_id=source_id[:255]) if source_id else Q(pk__in=[])
    return InboundMessage.objects.filter(same_bytes | same_door_id).defer("raw").order_by("id").first()


def queue_processing(message_id: int) -> None:
    from inbound.tasks import inbound_process_message  # tasks import the services: imported when first needed

    send_to_worker(inbound_process_message, message_id)
