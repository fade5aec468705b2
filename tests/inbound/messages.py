"""Real-world-shaped messages for the inbound tests, built with the stdlib (or as literal bytes where the point is
a malformed or oddly encoded message)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from email import policy
from email.message import EmailMessage

SUPPORT = "support@example.com"


def new_message_id() -> str:
    return f"<{secrets.token_hex(8)}@mail.example.net>"


def mail(
    *,
    sender: str,
    subject: str = "Printer on fire",
    body: str = "The printer on floor 3 is on fire.",
    to: str = SUPPORT,
    cc: Sequence[str] = (),
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    headers: Mapping[str, str] | None = None,
    html: str | None = None,
) -> bytes:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Subject"] = subject
    message["Message-ID"] = message_id or new_message_id()
    message["Date"] = "Tue, 01 Dec 2026 10:00:00 +0000"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = " ".join(references)
    for name, value in (headers or {}).items():
        message[name] = value
    if html is not None and body == "":
        message.set_content(html, subtype="html")
    else:
        message.set_content(body)
        if html is not None:
            message.add_alternative(html, subtype="html")
    return message.as_bytes()


def raw_mail(headers: str, body: str = "Hello.") -> bytes:
    """A message written out by hand, headers exactly as given (encoded words and all), with CRLF line ends."""
    return (headers.strip("\n") + "\n\n" + body + "\n").replace("\n", "\r\n").encode()
