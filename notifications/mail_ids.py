"""Signed identities in our mail, so a reply finds its ticket and a forged one does not.

- Message-ID of every notification: `<t42.<nonce>.<signature>@MAIL_DOMAIN>`. A reply quotes it in
  `In-Reply-To`/`References`; only we can make one that verifies.
- Reply-To: a plus-address of REPLY_ADDRESS, `support+t42.<signature>@example.com`, for clients that drop those
  headers. Signatures are lower-case base32, because some mail systems lower-case addresses.
- Subject tag `[#42]`: a hint for people, trusted only for senders the ticket already knows (see inbound mail).

Signatures are HMAC-SHA256 with SECRET_KEY (and SECRET_KEY_FALLBACKS while a key is being rotated).
"""

from __future__ import annotations

import base64
import re
import secrets

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

SIGNATURE_CHARS = 16  # 80 bits of base32
_MESSAGE_ID = re.compile(r"^<?t(\d{1,18})\.([a-z0-9]{1,64})\.([a-z2-7]{16})@([^<>@\s]+)>?$")
_REPLY_TAG = re.compile(r"^(t\d{1,18}(?:\.u\d{1,18})?)\.([a-z2-7]{16})$")
_SUBJECT_TAG = re.compile(r"\[#(\d{1,18})\]")


def _signature(value: str, *, purpose: str, secret: str | None = None) -> str:
    digest = salted_hmac(f"helpdesk.mail.{purpose}", value, secret=secret, algorithm="sha256").digest()
    return base64.b32encode(digest).decode().lower()[:SIGNATURE_CHARS]


def _verifies(value: str, signature: str, *, purpose: str) -> bool:
    secrets_to_try = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return any(
        constant_time_compare(_signature(value, purpose=purpose, secret=secret), signature) for secret in secrets_to_try
    )


def message_id(*, ticket_id: int, nonce: str | None = None) -> str:
    """A new Message-ID for a mail about the ticket. `nonce` (lower-case letters and digits) makes it unique."""
    nonce = nonce or secrets.token_hex(8)
    if not re.fullmatch(r"[a-z0-9]{1,64}", nonce):
        raise ValueError("nonce must be 1-64 lower-case letters or digits")
    value = f"t{ticket_id}.{nonce}"
    return f"<{value}.{_signature(value, purpose='message-id')}@{settings.MAIL_DOMAIN}>"


def ticket_id_from_message_id(value: str) -> int | None:
    """The ticket a Message-ID of ours names, or None when it is not ours or its signature is wrong."""
    match = _MESSAGE_ID.match(value.strip().lower())
    if match is None:
        return None
    ticket_id, nonce, signature, _domain = match.groups()
    if not _verifies(f"t{ticket_id}.{nonce}", signature, purpose="message-id"):
        return None
    return int(ticket_id)


def reply_address(*, ticket_id: int, recipient_id: int | None = None, base: str | None = None) -> str:
    """The signed plus-address replies about this ticket go to: support+t42.<signature>@example.com, or
    support+t42.u7.<signature>@example.com when it names the one person it was sent to."""
    local, _, domain = (base or settings.REPLY_ADDRESS).rpartition("@")
    value = f"t{ticket_id}" + (f".u{recipient_id}" if recipient_id is not None else "")
    return f"{local}+{value}.{_signature(value, purpose='reply-to')}@{domain}"


def ticket_id_from_address(address: str) -> int | None:
    """The ticket a signed plus-address names, or None for any other address (or a forged tag)."""
    named = _reply_tag(address)
    return named[0] if named else None


def recipient_id_from_address(address: str) -> int | None:
    """The person a signed plus-address was sent to, if it names one."""
    named = _reply_tag(address)
    return named[1] if named else None


def _reply_tag(address: str) -> tuple[int, int | None] | None:
    local = address.strip().lower().rpartition("@")[0]
    _, plus, tag = local.rpartition("+")  # the last one: REPLY_ADDRESS may have a plus of its own
    match = _REPLY_TAG.match(tag) if plus else None
    if match is None:
        return None
    value, signature = match.groups()
    if not _verifies(value, signature, purpose="reply-to"):
        return None
    ticket_id, _, recipient = value[1:].partition(".u")
    return int(ticket_id), int(recipient) if recipient else None


def subject_tag(ticket_id: int) -> str:
    return f"[#{ticket_id}]"


def ticket_id_from_subject(subject: str) -> int | None:
    """The number in a `[#42]` tag; unsigned, so only a hint (see the module's docstring)."""
    match = _SUBJECT_TAG.search(subject)
    return int(match.group(1)) if match else None
