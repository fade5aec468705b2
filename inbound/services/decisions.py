"""What staff decide about held mail: accept or reject a mail from an unverified sender on the ticket page;
reprocess or discard quarantined mail in the admin."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from helpdesk.errors import InvalidValue, NotPermitted
from inbound import permissions
from inbound.models import InboundMessage, InboundStatus, Reason
from inbound.parsing import ParsedMail, read_mail
from inbound.services.store import queue_processing
from inbound.services.tickets import (
    ReplyResult,
    mail_open_ticket,
    mail_participant,
    mail_reply,
    ticket_conversation_continues_on,
)
from tickets.services.merge import merged_within_one_requester


@transaction.atomic
def held_mail_accept(*, message: InboundMessage, actor: User) -> InboundMessage:
    """The agent vouches for the sender: the mail becomes their public reply on the ticket (or, if it is closed,
    their follow-up ticket; merged, see _accepted_reply). The sender does not become a follower."""
    message = _lock_held(message, actor)
    mail = read_mail(bytes(message.raw))
    result, how = _accepted_reply(message, mail)
    message.ticket, message.comment = result.ticket, result.comment
    return _decide(message, actor, InboundStatus.PROCESSED, "", f"Accepted by {actor.display_name}.{how}")


def _accepted_reply(message: InboundMessage, mail: ParsedMail) -> tuple[ReplyResult, str]:
    """The agent vouched for the sender in the conversation the mail was held on. Merged since into one ticket of
    the same requester, it goes on there. Merged into another requester's, the merge made that conversation's
    messages internal notes there, so that neither requester reads the other's words: the accepted mail must not
    be the one that does. The sender's mail opens a follow-up ticket of their own, as mail to a closed ticket does
    (the merged ticket is closed); staff's, who cannot be requesters, becomes an internal note on the target."""
    held_on = message.ticket
    author = mail_participant(mail.from_address)
    continues_on = ticket_conversation_continues_on(held_on)
    if continues_on.pk == held_on.pk or merged_within_one_requester(held_on, continues_on):
        return mail_reply(message=message, mail=mail, ticket=continues_on, author=author), ""
    moved = f" #{held_on.pk} was merged into #{continues_on.pk}, another requester's:"
    if author.is_agent_or_admin:
        result = mail_reply(message=message, mail=mail, ticket=continues_on, author=author, internal=True)
        return result, f"{moved} an internal note there."
    return ReplyResult(mail_open_ticket(message=message, mail=mail, follow_up_of=held_on), None), (
        f"{moved} a follow-up ticket of the sender's own."
    )


@transaction.atomic
def held_mail_reject(*, message: InboundMessage, actor: User) -> InboundMessage:
    message = _lock_held(message, actor)
    return _decide(message, actor, InboundStatus.IGNORED, Reason.DISCARDED, f"Rejected by {actor.display_name}.")


@transaction.atomic
def inbound_reprocess(*, message: InboundMessage, actor: User) -> InboundMessage:
    """Run a quarantined message through processing again (after fixing a mailbox, raising a limit...)."""
    message = _lock_quarantined(message, actor, "reprocessed")
    message = _decide(message, actor, InboundStatus.RECEIVED, "", f"Reprocessed by {actor.display_name}.")
    message.attempts = 0
    message.processed_at = None
    message.save(update_fields=["attempts", "processed_at"])
    transaction.on_commit(partial(queue_processing, message.pk))
    return message


@transaction.atomic
def inbound_discard(*, message: InboundMessage, actor: User) -> InboundMessage:
    message = _lock_quarantined(message, actor, "discarded")
    return _decide(message, actor, InboundStatus.IGNORED, Reason.DISCARDED, f"Discarded by {actor.display_name}.")


def _lock_quarantined(message: InboundMessage, actor: User, what: str) -> InboundMessage:
    if not permissions.can_manage_inbound_mail(actor):
        raise NotPermitted(f"Only admins may have quarantined mail {what}.")
    message = InboundMessage.objects.select_for_update().get(pk=message.pk)
    if message.status != InboundStatus.QUARANTINED:
        raise InvalidValue(f"Only quarantined mail can be {what}.")
    return message


def _lock_held(message: InboundMessage, actor: User) -> InboundMessage:
    if not permissions.can_decide_held_mail(actor):
        raise NotPermitted("Only agents and admins may accept or reject held mail.")
    message = InboundMessage.objects.select_for_update().get(pk=message.pk)
    if message.status != InboundStatus.QUARANTINED or message.reason != Reason.UNVERIFIED_SENDER:
        raise InvalidValue("This mail has already been decided.")
    return message


def _decide(message: InboundMessage, actor: User, status: InboundStatus, reason: str, detail: str) -> InboundMessage:
    message.status = status
    message.reason = reason
    message.detail = f"{detail} Before: {message.detail}".strip()[:4000]
    message.decided_by = actor
    message.processed_at = timezone.now()
    message.save()
    return message
