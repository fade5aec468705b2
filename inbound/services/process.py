"""What the worker makes of a stored message: a ticket, a reply, or an ignored or quarantined message with a reason.

The order of the checks is the point: duplicates, our own mail, bounces and auto-replies go first, so machine
mail can never open, reopen or answer a ticket; then the loop breaker; then threading (inbound/matching.py).
"""

from __future__ import annotations

import logging
import traceback
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from accounts.selectors import ADDRESS_RESERVED, address_reserved, requester_address_refusal
from inbound.machine import auto_reply_reason, is_bounce, read_bounce
from inbound.matching import Participant, ThreadMatch, participant_role, ticket_for_mail, user_for_address
from inbound.models import BouncedAddress, InboundMessage, InboundStatus, Reason
from inbound.parsing import ParsedMail, read_mail
from inbound.selectors import mails_from_sender_since, our_addresses, sender_window_start
from inbound.services.reading import inbound_reading_keep
from inbound.services.tickets import mail_open_ticket, mail_reply, ticket_conversation_continues_on
from notifications.mail_ids import recipient_id_from_address, ticket_id_from_address, ticket_id_from_message_id
from notifications.models import Notification
from tickets.models import Ticket, TicketEventKind
from tickets.services.audit import record_event
from tickets.services.merge import merged_within_one_requester

logger = logging.getLogger(__name__)

DETAIL_MAX_CHARS = 4000
SWEEP_BATCH = 500


@transaction.atomic
def inbound_claim(*, message_id: int) -> bool:
    """Count an attempt before working on a received message, so a message that kills its worker is given up on
    after INBOUND_MAX_ATTEMPTS instead of being retried for ever. False: nothing to do."""
    return bool(
        InboundMessage.objects.filter(pk=message_id, status=InboundStatus.RECEIVED).update(attempts=F("attempts") + 1)
    )


def inbound_claim_returned(*, message_id: int) -> None:
    """Give back the attempt a processing counted when it failed for no fault of the mail or the worker (the file
    store did not answer): an outage of any length delays the mail, never quarantines it."""
    InboundMessage.objects.filter(pk=message_id, status=InboundStatus.RECEIVED, attempts__gt=0).update(
        attempts=F("attempts") - 1
    )


def inbound_stale_ids(*, now: datetime | None = None) -> list[int]:
    """Received mail nobody has finished within INBOUND_REDELIVER_AFTER_SECONDS, to queue again. Mail that has
    used up INBOUND_MAX_ATTEMPTS (it keeps killing or timing out its worker) is quarantined instead."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.INBOUND_REDELIVER_AFTER_SECONDS)
    stale = InboundMessage.objects.filter(status=InboundStatus.RECEIVED, received_at__lt=cutoff)
    for message_id in stale.filter(attempts__gte=settings.INBOUND_MAX_ATTEMPTS).values_list("id", flat=True):
        inbound_fail(
            message_id=message_id,
            error=TimeoutError(f"gave up after {settings.INBOUND_MAX_ATTEMPTS} attempts (worker killed or timed out)"),
        )
    return list(stale.filter(attempts__lt=settings.INBOUND_MAX_ATTEMPTS).values_list("id", flat=True)[:SWEEP_BATCH])


@transaction.atomic
def inbound_process(*, message_id: int) -> InboundMessage:
    """Decide and apply what the message is. Safe to repeat: a message already decided is left as it is."""
    message = InboundMessage.objects.select_for_update().get(pk=message_id)
    if message.status != InboundStatus.RECEIVED:
        return message
    _decide(message)
    message.processed_at = timezone.now()
    message.save()
    return message


@transaction.atomic
def inbound_fail(*, message_id: int, error: BaseException) -> InboundMessage:
    """Quarantine a message whose processing raised (its changes were rolled back); the others go on."""
    message = InboundMessage.objects.select_for_update().get(pk=message_id)
    detail = "".join(traceback.format_exception_only(type(error), error)).strip()
    logger.warning("inbound message %s quarantined: %s", message_id, detail)
    _set_outcome(message, InboundStatus.QUARANTINED, Reason.FAILED, detail)
    message.processed_at = timezone.now()
    message.save()
    return message


def _decide(message: InboundMessage) -> None:
    if message.size > settings.INBOUND_MAX_BYTES:
        limit_mb = settings.INBOUND_MAX_BYTES / (1024 * 1024)
        return _quarantine(message, Reason.TOO_LARGE, f"{message.size} bytes; the limit is {limit_mb:g} MB.")
    mail = read_mail(bytes(message.raw))
    # Whatever it turns out to be (a duplicate, a bounce, a loop...), staff can read it on the full mail page.
    inbound_reading_keep(message=message, mail=mail)
    if _earlier_copy_exists(message):
        return _ignore(message, Reason.DUPLICATE, f"Message-ID {message.message_id} was received before.")
    if _is_our_own_mail(mail):
        return _ignore(message, Reason.OWN_MAIL, "Sent by this helpdesk (our signed Message-ID or our address).")
    if is_bounce(mail):
        return _record_bounce(message, mail)
    auto_reason = auto_reply_reason(mail)
    if auto_reason:
        return _ignore(message, Reason.AUTO_REPLY, auto_reason)
    unusable = _sender_unusable(mail)
    if unusable:
        return _quarantine(message, Reason.NO_SENDER, unusable)
    recent = mails_from_sender_since(
        address=mail.from_address, since=sender_window_start(message.received_at), up_to_id=message.pk
    )
    if recent > settings.INBOUND_SENDER_LIMIT:
        return _quarantine(
            message,
            Reason.SENDER_LOOP,
            f"{recent} mails from {mail.from_address} within {settings.INBOUND_SENDER_WINDOW_SECONDS} s "
            f"(the limit is {settings.INBOUND_SENDER_LIMIT}).",
        )
    refusal = requester_address_refusal(mail.from_address)
    if refusal:
        # Neither a new ticket nor a reply (nor one held for an agent to accept as theirs): an admin reactivates
        # the account, then reprocesses the mail, or discards it.
        return _quarantine(message, Reason.DEACTIVATED_SENDER, f"{mail.from_address}: {refusal}")
    sender = user_for_address(mail.from_address)
    match = ticket_for_mail(mail)
    if match is not None:
        return _thread_into(message, mail, match, sender)
    if sender is not None and sender.is_agent_or_admin:
        return _quarantine(
            message,
            Reason.FORGED_STAFF,
            "Mail from a staff address that names no ticket by our signed reply address or Message-ID. "
            "The From header can be forged: staff open tickets on the site.",
        )
    return _opened(message, mail_open_ticket(message=message, mail=mail))


def _thread_into(message: InboundMessage, mail: ParsedMail, match: ThreadMatch, sender: User | None) -> None:
    # Merged or closed since it was matched: the mail goes to the ticket as it is now, locked until it is written,
    # and the sender is judged there, as if the merge had come before the matching.
    ticket = ticket_conversation_continues_on(match.ticket)
    moved = f" #{match.ticket.pk} was merged into #{ticket.pk}." if ticket.pk != match.ticket.pk else ""
    role = participant_role(ticket, sender)
    # Staff speak for the helpdesk: only on a signed route that was sent to them (the requester and followers get
    # the ticket's signed Message-IDs too).
    # The author a list's header names (X-Original-From, Reply-To) is whoever sent the mail says: anyone could
    # answer as the requester with them. They open tickets (inbound.parsing._list_author), never answer one.
    trusted = (
        role is not None
        and not mail.sender_named_by
        and (role != Participant.STAFF or (match.signed and _sent_to(sender, mail)))
    )
    if not trusted:
        # A stranger, or a staff address on an unsigned route (From can be forged): never a public reply, never a
        # reopen. It waits on the ticket page for an agent to accept or reject.
        if role is None:
            why = "not the requester, a follower or staff"
        elif mail.sender_named_by:
            why = f"{role.label}, but named by {mail.sender_named_by}, which nothing verifies"
        else:
            why = "staff, but on an unsigned route"
        message.ticket = ticket
        return _quarantine(
            message, Reason.UNVERIFIED_SENDER, f"{mail.from_address} is {why}; matched by {match.rule.label}.{moved}"
        )
    # Staff answering a conversation merged since into another requester's ticket: their words were for the first
    # requester, whom the merge kept apart from the second (their messages moved as internal notes): so does this.
    internal = role == Participant.STAFF and bool(moved) and not merged_within_one_requester(match.ticket, ticket)
    result = mail_reply(message=message, mail=mail, ticket=ticket, author=sender, internal=internal)
    if result.comment is None:
        return _opened(message, result.ticket, detail=f"Follow-up of closed ticket #{ticket.pk}.")
    message.ticket, message.comment = result.ticket, result.comment
    BouncedAddress.objects.filter(email=mail.from_address).delete()
    return _set_outcome(
        message,
        InboundStatus.PROCESSED,
        "",
        f"Reply from {role.label} ({sender.email}); matched by {match.rule.label}.{moved}",
    )


def _sent_to(user: User, mail: ParsedMail) -> bool:
    if any(recipient_id_from_address(address) == user.pk for address in mail.recipients):
        return True
    return Notification.objects.filter(recipient=user, message_id__in=mail.referenced_ids).exists()


def _opened(message: InboundMessage, ticket: Ticket, detail: str = "New ticket.") -> None:
    message.ticket = ticket
    BouncedAddress.objects.filter(email=message.from_address).delete()
    _set_outcome(message, InboundStatus.PROCESSED, "", detail)


def _record_bounce(message: InboundMessage, mail: ParsedMail) -> None:
    """Mark the failed addresses as bouncing, and note the bounce on the ticket whose mail it returns."""
    report = read_bounce(mail)
    now = timezone.now()
    for address in report.failed:
        bounced, _ = BouncedAddress.objects.get_or_create(email=address[:254], defaults={"first_bounced_at": now})
        bounced.bounce_count += 1
        bounced.last_bounced_at = now
        bounced.last_status = report.status[:32]
        bounced.last_diagnostic = report.diagnostic[:DETAIL_MAX_CHARS]
        bounced.save()
    ticket_ids = (ticket_id_from_message_id(message_id) for message_id in report.original_message_ids)
    ticket = Ticket.objects.filter(pk__in=[ticket_id for ticket_id in ticket_ids if ticket_id is not None]).first()
    failed = ", ".join(report.failed) or "an unknown address"
    if ticket is not None:
        message.ticket = ticket
        record_event(
            ticket=ticket,
            actor=None,
            kind=TicketEventKind.BOUNCE,
            field="email",
            new=f"{failed} {report.status}".strip(),
            internal=True,
            payload={
                "inbound_message_id": message.pk,
                "addresses": report.failed,
                "status": report.status,
                "message_ids": report.original_message_ids,
            },
        )
    _ignore(message, Reason.BOUNCE, f"Delivery to {failed} failed {report.status} {report.diagnostic}".strip())


def _sender_unusable(mail: ParsedMail) -> str:
    """Why the mail has no sender an account can have, or "": Django's rules, as for every other door, and not an
    address at a `.invalid` domain, which the helpdesk keeps for accounts of its own
    (accounts.selectors.address_reserved)."""
    address = mail.from_address
    if not address:
        return mail.sender_problem or "The mail names no sender address."
    if not address.rpartition("@")[0].isascii():
        # RFC 6532 allows it in a UTF-8 header; Django's EmailValidator, and so every door that makes an account
        # (sign-up, forms, the API), refuses it.
        return f"{address}: an address with non-ASCII characters before the @ (RFC 6532), which no account can have."
    try:
        validate_email(address)
    except ValidationError:
        return f"{address}: not an address an account can have."
    if address_reserved(address):
        return f"{address}: {ADDRESS_RESERVED}"
    return ""


def _earlier_copy_exists(message: InboundMessage) -> bool:
    if not message.message_id:
        return False
    return InboundMessage.objects.filter(message_id=message.message_id, pk__lt=message.pk).exists()


def _is_our_own_mail(mail: ParsedMail) -> bool:
    if mail.message_id and ticket_id_from_message_id(mail.message_id) is not None:
        return True
    return mail.from_address in our_addresses() or ticket_id_from_address(mail.from_address) is not None


def _ignore(message: InboundMessage, reason: Reason, detail: str) -> None:
    _set_outcome(message, InboundStatus.IGNORED, reason, detail)


def _quarantine(message: InboundMessage, reason: Reason, detail: str) -> None:
    _set_outcome(message, InboundStatus.QUARANTINED, reason, detail)


def _set_outcome(message: InboundMessage, status: InboundStatus, reason: str, detail: str) -> None:
    message.status = status
    message.reason = reason
    message.detail = detail[:DETAIL_MAX_CHARS]
