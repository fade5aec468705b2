"""Mail written by machines: auto-replies and bounces. Neither may open, reopen or answer a ticket, or mail loops.

Auto-replies: RFC 3834 `Auto-Submitted`, `Precedence: bulk/junk/list` (but a list's post, which names its List-Id),
`X-Autoreply`/`X-Autorespond`, `X-Auto-Response-Suppress`, and out-of-office subjects in common languages.
Bounces: RFC 3464 delivery reports (`multipart/report; report-type=delivery-status`), mail from MAILER-DAEMON or
postmaster, and plain-text failure notices sent from a server's own address (an `X-Failed-Recipients` header, or an
automatic mail whose subject says delivery failed). From a bounce we read which addresses failed permanently and
which of our mails it returns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message

from inbound.parsing import (
    ParsedMail,
    content_type_of,
    header_text,
    header_values,
    message_ids,
    parse_message,
    part_bytes,
)

_BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailer_daemon)@", re.IGNORECASE)
_AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
# Subjects of out-of-office and other automatic answers, as the common clients write them.
_AUTO_SUBJECT = re.compile(
    r"^\s*("
    r"out of (the )?office|automatic reply|auto(matic)?[- ]?(reply|response)|autoreply|auto|"
    r"abwesenheitsnotiz|automatische antwort|"
    r"réponse automatique|absence du bureau|"
    r"respuesta automática|fuera de la oficina|"
    r"risposta automatica|"
    r"automatisch antwoord|"
    r"resposta automática|fora do escritório|"
    r"autosvar|automaattinen vastaus|"
    r"automatická odpověď|odpowiedź automatyczna|"
    r"автоответ|автоматический ответ|"
    r"自動応答|自動返信|自动回复|自動回覆|자동 응답"
    r")(\s+auto[- ]?reply)?\s*[:\uff1a]",  # a colon, or the full-width one of CJK subjects
    re.IGNORECASE,
)
# Subjects of delivery-failure notices (Postfix, Exchange, Gmail, Exim, qmail, Sendmail), trusted only on mail marked
# automatic: a person may well write "Undeliverable: ..." to ask for help.
_FAILURE_SUBJECT = re.compile(
    r"^\s*(undelivered mail|undeliverable|delivery status notification \(failure\)|delivery failure|"
    r"mail delivery failed|failure notice|returned mail|unzustellbar|non remis|non recapitabile|onbestelbaar)",
    re.IGNORECASE,
)
# The Message-ID header of the returned mail as an MTA copies it into its text: only that one, not the earlier mails
# its In-Reply-To/References name, which were delivered. Some quote the copy ("> ") and keep its folding.
_COPIED_MESSAGE_ID = re.compile(
    r"^[ \t>]*message-id:[ \t]*(?:\r?\n[ \t>]*[ \t])?(<[^<>\s@]+@[^<>\s]+>)", re.IGNORECASE | re.MULTILINE
)
_STATUS = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")


@dataclass
class BounceReport:
    failed: list[str] = field(default_factory=list)  # addresses that failed permanently
    status: str = ""
    diagnostic: str = ""
    original_message_ids: list[str] = field(default_factory=list)


def is_bounce(mail: ParsedMail) -> bool:
    message = mail.message
    if content_type_of(message) == "multipart/report" and _report_type(message) in ("delivery-status", ""):
        return True
    if _BOUNCE_SENDERS.match(mail.from_address):
        return True
    if not mail.from_address and _has_part(message, "message/delivery-status"):
        return True
    return _is_text_failure_notice(mail)


def _is_text_failure_notice(mail: ParsedMail) -> bool:
    """A failure notice without a report part, from the server's own address rather than MAILER-DAEMON (Exchange's
    MicrosoftExchange…@, a relay's bounce address): whatever it quotes, it is not a person answering a ticket."""
    if header_values(mail.message, "X-Failed-Recipients"):
        return True
    return bool(_auto_submitted(mail.message)) and bool(_FAILURE_SUBJECT.match(mail.subject))


def auto_reply_reason(mail: ParsedMail) -> str:
    """What marks the mail as an automatic answer, or "" for mail a person wrote."""
    message = mail.message
    auto_submitted = _auto_submitted(message)
    if auto_submitted:
        return f"Auto-Submitted: {auto_submitted}"
    precedence = header_text(message, "Precedence").strip().lower()
    if precedence in _AUTO_PRECEDENCE and not _relayed_by_a_list(message, precedence):
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        value = header_text(message, name).strip()
        if value and value.lower() not in ("no", "none", "false"):
            return f"{name}: {value}"
    if content_type_of(message) == "multipart/report":
        return f"Report: {_report_type(message)}"  # read receipts and other reports that are not bounces
    if _AUTO_SUBJECT.match(mail.subject):
        return f"Subject: {mail.subject}"
    return ""


def _relayed_by_a_list(message: Message, precedence: str) -> bool:
    """Whether `Precedence: list` is a mailing list's mark on mail a person sent to it (RFC 2919's List-Id names
    the list): Google Groups and Mailman put it on every post, and a group used as the support address relays each
    customer's mail so. An automatic answer relayed by a list still carries its own marks, read above and below."""
    return precedence == "list" and bool(header_values(message, "List-Id"))


def _auto_submitted(message: Message) -> str:
    """The RFC 3834 Auto-Submitted value of a mail a machine sent, or "" (absent, or `no`: a person wrote it)."""
    value = header_text(message, "Auto-Submitted").strip().lower()
    return "" if value.startswith("no") else value


def read_bounce(mail: ParsedMail) -> BounceReport:
    report = BounceReport()
    message = mail.message
    for part in message.walk():
        content_type = content_type_of(part)
        if content_type == "message/delivery-status":
            _read_delivery_status(part, report)
        elif content_type in ("message/rfc822", "text/rfc822-headers"):
            report.original_message_ids.extend(_original_ids(part))
    if not report.failed:
        # Reports without a delivery-status part (qmail, some Exchange): the X-Failed-Recipients header.
        for value in header_values(message, "X-Failed-Recipients"):
            report.failed.extend(address.strip().lower() for address in value.split(",") if "@" in address)
    # A report that quotes nothing may still name our mail in its own threading headers, or in its text (Exim
    # copies the returned message into the body). Only our signed Message-IDs will match a ticket.
    report.original_message_ids.extend(mail.referenced_ids)
    report.original_message_ids.extend(match.lower() for match in _COPIED_MESSAGE_ID.findall(mail.text))
    return report


def _read_delivery_status(part: Message, report: BounceReport) -> None:
    for block in _status_blocks(part):
        action = (block.get("Action") or "").strip().lower()
        status_match = _STATUS.search(block.get("Status") or "")
        status = status_match.group(1) if status_match else ""
        if action != "failed" and not status.startswith("5"):
            continue  # delayed, relayed, delivered: not a failure, or not yet
        recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
        address = recipient.rpartition(";")[2].strip().strip("<>").lower()
        if "@" in address and address not in report.failed:
            report.failed.append(address)
        report.status = report.status or status
        report.diagnostic = report.diagnostic or " ".join(str(block.get("Diagnostic-Code") or "").split())


def _status_blocks(part: Message) -> list[Message]:
    """The per-message and per-recipient blocks of a delivery-status part (RFC 3464 section 2.1)."""
    payload = part.get_payload()
    if isinstance(payload, list) and part.get_content_type() == "message/delivery-status":
        return [block for block in payload if isinstance(block, Message)]
    # Some MTAs encode the part (base64), and a type with a comment is not one the parser splits into blocks (it
    # reads the first block's headers and takes the rest for its body): parse its text as header blocks.
    text = part_bytes(part).decode("utf-8", errors="replace").replace("\r\n", "\n")
    return [parse_message(chunk.encode()) for chunk in re.split(r"\n\s*\n", text) if chunk.strip()]


def _original_ids(part: Message) -> list[str]:
    if content_type_of(part) == "text/rfc822-headers":
        headers = parse_message(part_bytes(part))
    else:
        payload = part.get_payload()
        headers = payload[0] if isinstance(payload, list) and payload else None
    if not isinstance(headers, Message):
        return []
    return message_ids(headers, "Message-ID")


def _report_type(message: Message) -> str:
    try:
        return str(message.get_param("report-type") or "").lower()
    except (ValueError, IndexError):
        return ""


def _has_part(message: Message, content_type: str) -> bool:
    return any(content_type_of(part) == content_type for part in message.walk())
