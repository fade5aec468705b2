"""Which ticket a mail belongs to, in an order that cannot be hijacked.

(1) A Message-ID we already stored is a duplicate (decided by the caller, before this). Then:
(2) the nearest In-Reply-To/References entry we know: one of our signed Message-IDs, or a Message-ID stored for a
    ticket (mail we received or sent about it). Nearest first: a thread that moved to a follow-up ticket stays there;
(3) our signed plus-address among the recipients;
(4) a `[#123]` subject tag, only when the sender is the ticket's requester, a follower or staff.
Otherwise the mail opens a new ticket. Our Message-IDs and the plus-address are signed: only someone who received
our mail can quote them. The ticket found is the one the mail names, merged or not: the mail is written where its
conversation continues (inbound.services.tickets.ticket_conversation_continues_on), and staff's words to a
requester merged into another's ticket stay apart from that one's requester (process._thread_into).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from accounts.models import User
from accounts.selectors import accounts_at_address
from inbound.parsing import ParsedMail
from inbound.selectors import ticket_id_for_stored_message_ids
from notifications.mail_ids import ticket_id_from_address, ticket_id_from_message_id, ticket_id_from_subject
from tickets.models import Ticket


class MatchRule(models.TextChoices):
    OUR_MESSAGE_ID = "our_message_id", "our signed Message-ID in In-Reply-To/References"
    REPLY_ADDRESS = "reply_address", "our signed reply address among the recipients"
    STORED_MESSAGE_ID = "stored_message_id", "a Message-ID of the ticket in In-Reply-To/References"
    SUBJECT_TAG = "subject_tag", "the [#id] subject tag, from a known participant"


SIGNED_RULES = frozenset({MatchRule.OUR_MESSAGE_ID, MatchRule.REPLY_ADDRESS})


class Participant(models.TextChoices):
    REQUESTER = "requester", "the requester"
    FOLLOWER = "follower", "a follower"
    STAFF = "staff", "staff"


@dataclass(frozen=True)
class ThreadMatch:
    ticket: Ticket
    rule: MatchRule

    @property
    def signed(self) -> bool:
        return self.rule in SIGNED_RULES


def ticket_for_mail(mail: ParsedMail) -> ThreadMatch | None:
    for message_id in mail.referenced_ids:  # the nearest parent first, whichever way we know it
        ticket = _ticket(ticket_id_from_message_id(message_id))
        if ticket is not None:
            return ThreadMatch(ticket, MatchRule.OUR_MESSAGE_ID)
        ticket = _ticket(ticket_id_for_stored_message_ids([message_id]))
        if ticket is not None:
            return ThreadMatch(ticket, MatchRule.STORED_MESSAGE_ID)
    for address in mail.recipients:
        ticket = _ticket(ticket_id_from_address(address))
        if ticket is not None:
            return ThreadMatch(ticket, MatchRule.REPLY_ADDRESS)
    ticket = _ticket(ticket_id_from_subject(mail.subject))
    if ticket is not None and _knows_sender(ticket, user_for_address(mail.from_address)):
        return ThreadMatch(ticket, MatchRule.SUBJECT_TAG)
    return None


def _knows_sender(ticket: Ticket, user: User | None) -> bool:
    """Whether the sender takes part in the ticket's conversation: on the ticket, or on the one it was merged into,
    where the conversation goes on (the merge target's requester may quote the merged ticket's number)."""
    while ticket is not None:
        if participant_role(ticket, user) is not None:
            return True
        ticket = ticket.merged_into
    return False


def user_for_address(address: str) -> User | None:
    if not address:
        return None
    return next((user for user in accounts_at_address(address) if user.is_active), None)


def participant_role(ticket: Ticket, user: User | None) -> Participant | None:
    """How the ticket knows this person, or None for a stranger."""
    if user is None:
        return None
    if user.pk == ticket.requester_id:
        return Participant.REQUESTER
    if user.is_agent_or_admin:
        return Participant.STAFF
    if ticket.followers.filter(pk=user.pk).exists():
        return Participant.FOLLOWER
    return None


def _ticket(ticket_id: int | None) -> Ticket | None:
    return Ticket.objects.filter(pk=ticket_id).first() if ticket_id is not None else None
