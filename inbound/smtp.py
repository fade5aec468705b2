"""The SMTP/LMTP listener's handler (aiosmtpd): accept mail for our domains, store it, answer only once stored."""

from __future__ import annotations

import asyncio
import logging

from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.db import DatabaseError, close_old_connections

from inbound.models import Source
from inbound.selectors import our_domains
from inbound.services import inbound_store

logger = logging.getLogger(__name__)


class StoreHandler:
    def __init__(self, *, lmtp: bool) -> None:
        self.lmtp = lmtp

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        domain = address.rpartition("@")[2].strip().lower()
        if domain not in await asyncio.to_thread(_domains):
            return "550 5.1.1 Not a mailbox of this helpdesk"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        recipient = envelope.rcpt_tos[0] if envelope.rcpt_tos else ""
        try:
            await asyncio.to_thread(_store, raw, recipient)
        except DatabaseError:
            logger.exception("could not store a message received by SMTP; the sender will retry")
            reply = "451 4.3.0 Temporary failure, please try again later"
        else:
            reply = "250 2.0.0 Stored"
        # LMTP answers DATA once per recipient (RFC 2033); it is one stored message either way.
        return "\r\n".join([reply] * len(envelope.rcpt_tos)) if self.lmtp else reply


def _domains() -> set[str]:
    close_old_connections()
    return our_domains()


def _store(raw: bytes, recipient: str) -> None:
    close_old_connections()
    try:
        inbound_store(raw=raw, source=Source.SMTP, envelope_recipient=recipient)
    finally:
        close_old_connections()


def data_size_limit() -> int:
    """Twice the inbound limit: mail between the two is stored and quarantined; past it, refused with 552."""
    return settings.INBOUND_MAX_BYTES * 2
