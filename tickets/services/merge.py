"""Merging a ticket into another: the conversation, files and followers move, the merged ticket is closed with a
pointer, both timelines record it, and the merged ticket's requester is told in a public reply.

Across requesters, nothing one requester wrote may reach the other: the moved messages become internal notes on
the target (staff keep the whole story) and the merged ticket's requester follows the target, so they receive its
public replies from then on. So it goes too when one ticket came from a public form's guest: whoever holds its
private link only typed the requester's address.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.selectors import address_reserved
from helpdesk.errors import InvalidTransition, InvalidValue, NotPermitted
from sla.services import sla_clocks_update
from tickets import permissions
from tickets.markdown import render_markdown
from tickets.models import Attachment, Comment, Status, Ticket, TicketEventKind
from tickets.services.audit import record_event
from tickets.services.comments import comment_create


def merge_notice(target: Ticket, *, same_requester: bool) -> str:
    # The target's subject is its requester's words: only they may read it.
    named = f"request #{target.pk} “{target.subject}”" if same_requester else f"request #{target.pk}"
    return (
        f"This request has been merged into {named}, which covers the same question. We will continue there; "
        "you will receive its replies."
    )


@transaction.atomic
def ticket_merge(*, source: Ticket, target: Ticket, actor: User) -> Ticket:
    """Merge `source` into `target`; returns the target."""
    if not permissions.can_triage_ticket(actor):
        raise NotPermitted("Only agents and admins may merge tickets.")
    if source.pk == target.pk:
        raise InvalidValue("A ticket cannot be merged into itself.", details={"into": ["Choose another ticket."]})
    # Both rows locked, always in id order, so two merges of the same pair cannot deadlock.
    # (The order is explicit: a ticket's default ordering is the newest first.)
    pair = Ticket.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")
    locked = {ticket.pk: ticket for ticket in pair}
    source, target = locked[source.pk], locked[target.pk]
    if source.merged_into_id is not None:
        raise InvalidValue(
            f"#{source.pk} was already merged into #{source.merged_into_id}.", details={"into": ["Already merged."]}
        )
    if target.merged_into_id is not None:
        raise InvalidValue(
            f"#{target.pk} was itself merged into #{target.merged_into_id}: merge into that one.",
            details={"into": [f"Merge into #{target.merged_into_id} instead."]},
        )
    if target.status == Status.CLOSED:
        raise InvalidTransition(
            f"#{target.pk} is closed: reopen it first, or merge the other way round.",
            details={"into": ["That ticket is closed."]},
        )

    same_requester = merged_within_one_requester(source, target)
    carried = _carry_opening_message(source=source, target=target, internal=not same_requester)
    moved = Comment.objects.filter(ticket=source)
    moved_count = moved.count()
    if same_requester:
        moved.update(ticket=target)
    else:
        moved.update(ticket=target, internal=True)
    Attachment.objects.filter(ticket=source, comment__isnull=True).update(ticket=target, comment=carried)
    Attachment.objects.filter(ticket=source).update(ticket=target)
    followers = set(source.followers.values_list("pk", flat=True))
    if not same_requester:
        followers.add(source.requester_id)
    followers.discard(target.requester_id)
    # The helpdesk's own accounts (a forfeited requester, the automations' actor) follow nothing (ticket_create).
    followers = {user.pk for user in User.objects.filter(pk__in=followers) if not address_reserved(user.email)}
    if followers:
        target.followers.add(*followers)

    Ticket.objects.filter(pk=target.pk).update(updated_at=timezone.now())
    payload = {"source_id": source.pk, "target_id": target.pk, "comments_moved": moved_count}
    record_event(
        ticket=source,
        actor=actor,
        kind=TicketEventKind.MERGED,
        field="merged_into",
        new=f"#{target.pk}",
        internal=not same_requester,
        payload=payload,
    )
    record_event(
        ticket=target,
        actor=actor,
        kind=TicketEventKind.MERGED,
        field="merged_from",
        new=f"#{source.pk}",
        internal=not same_requester,
        payload=payload,
    )
    # The requester is told on the merged ticket, in public (and so by mail), and it is closed in the same step;
    # only then does it point at the target, for a merged ticket takes no more messages (comment_create). It is no
    # answer to the requester: not the ticket's first response, no "agent replied" rule runs on it (its event says
    # `notice`, not `answers_requester`), and no reply in the reports (the one public message left on a merged
    # ticket, reports.services.public_staff_replies).
    comment_create(
        ticket=source,
        author=actor,
        body=merge_notice(target, same_requester=same_requester),
        status=Status.CLOSED if source.status != Status.CLOSED else None,
        notice=True,
    )
    Ticket.objects.filter(pk=source.pk).update(merged_into=target, updated_at=timezone.now())
    target.refresh_from_db()
    sla_clocks_update(ticket=target)
    return target


def merged_within_one_requester(source: Ticket, target: Ticket) -> bool:
    """Whether what was written on `source` may be shown to `target`'s requester: both are one person's tickets,
    and neither can be read through a guest's private link. Otherwise the merge kept one's words from the other."""
    return source.requester_id == target.requester_id and not _open_to_a_guest(source, target)


def _open_to_a_guest(*tickets: Ticket) -> bool:
    """Whether one of `tickets` came from a public form's guest and can be read through its private link: whoever
    holds that link only typed the requester's address, so the two tickets are not one person's."""
    return Ticket.objects.filter(
        pk__in=[ticket.pk for ticket in tickets], sender_verified=False, submission__access_token_digest__gt=""
    ).exists()


def _carry_opening_message(*, source: Ticket, target: Ticket, internal: bool) -> Comment:
    """The merged ticket's own text has no comment of its own: it moves as one, dated when it was written."""
    body = f"(Merged from #{source.pk}: {source.subject})\n\n{source.description}".strip()
    return Comment.objects.create(
        ticket=target,
        author=source.requester,
        body=body,
        body_html=render_markdown(body),
        internal=internal,
        created_at=source.created_at,
    )
