"""Public replies and internal notes, and what a reply does to the ticket."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from accounts.models import User
from events.models import EventKind
from events.services import event_record
from helpdesk.errors import InvalidValue, NotPermitted, TicketClosed, TicketMerged
from sla.services import sla_clocks_update
from tickets import permissions
from tickets.markdown import render_markdown
from tickets.models import Comment, Status, Ticket, TicketEventKind
from tickets.services.attachments import attachments_save, validate_files
from tickets.services.audit import record_event
from tickets.services.common import lock_ticket, staff_only
from tickets.services.status import ticket_change_status
from tickets.workflow import REOPENED_BY_REQUESTER_REPLY


@transaction.atomic
def comment_create(
    *,
    ticket: Ticket,
    author: User,
    body: str,
    internal: bool = False,
    files: Sequence[UploadedFile] = (),
    status: str | None = None,
    on_merged: bool = False,
    notice: bool = False,
) -> Comment:
    """Add a public reply or an internal note, with its attachments, and apply the reply rules.

    `status` ("send and set status"): staff move the ticket in the same transaction, so a refused move sends
    nothing. Without it, staff's first public answer on a `new` ticket moves it to `open`: someone is on it.
    `on_merged`: written on a merged ticket all the same (an automation rule's note, the system's own record), where
    a person's message is refused (comment_refuse_if_merged).
    `notice`: the system's own message to the requester (a merge's): sent as a public reply, but nobody answered
    them, so it is not the ticket's first response.
    """
    if internal and not permissions.can_write_internal_note(author):
        raise NotPermitted("Only agents and admins may write internal notes.", details=staff_only({"internal": 1}))
    if status is not None and not permissions.can_triage_ticket(author):
        raise NotPermitted("Only agents and admins may change the status.", details=staff_only({"status": 1}))
    if not body.strip():
        raise InvalidValue("The message is empty.", details={"body": ["This field may not be blank."]})
    validate_files(files)
    ticket = lock_ticket(ticket, actor=author)
    is_staff_author = permissions.is_staff_member(author)
    if is_staff_author and not on_merged:  # a requester's merged ticket is closed to them, as any closed ticket
        comment_refuse_if_merged(ticket)
    if ticket.status == Status.CLOSED and not is_staff_author:
        raise TicketClosed("This ticket is closed. Please open a new ticket.", details={"body": ["Ticket closed."]})

    answers_requester = _answers_requester(ticket=ticket, author=author, internal=internal, notice=notice)
    comment = _comment_save(
        ticket=ticket,
        author=author,
        body=body,
        internal=internal,
        answers_requester=answers_requester,
        notice=notice and not internal,
    )
    if not is_staff_author and not internal:
        event_record(kind=EventKind.REQUESTER_REPLIED, ticket=ticket, actor=author, payload={"comment_id": comment.pk})
    attachments_save(ticket=ticket, comment=comment, actor=author, files=files)

    now = comment.created_at
    update_fields = ["updated_at"]
    ticket.updated_at = now
    if answers_requester and ticket.first_response_at is None:
        ticket.first_response_at = now
        update_fields.append("first_response_at")
    ticket.save(update_fields=update_fields)
    if not is_staff_author and ticket.status in REOPENED_BY_REQUESTER_REPLY:
        ticket = ticket_change_status(ticket=ticket, actor=author, status=Status.OPEN, system=True)
    if status is not None:
        ticket = ticket_change_status(ticket=ticket, actor=author, status=status)
    elif answers_requester and ticket.status == Status.NEW:
        ticket = ticket_change_status(ticket=ticket, actor=author, status=Status.OPEN)
    if not internal:  # a note is nothing a promise is measured by; a status it sets brought the clocks in line
        sla_clocks_update(ticket=ticket)
    return comment


def comment_refuse_if_merged(ticket: Ticket) -> None:
    """Staff may still write on a closed ticket, but not on a merged one (a page loaded before the merge): its
    conversation, followers and requester moved to the ticket it was merged into, so a message here would reach
    nobody who works it, and a public reply would mail the requester from a ticket that no longer runs."""
    if ticket.merged_into_id is not None:
        target = ticket.merged_into_id
        raise TicketMerged(
            f"#{ticket.pk} was merged into #{target}: the conversation continues there.",
            details={"body": [f"Post it on #{target}."]},
        )


def _answers_requester(*, ticket: Ticket, author: User, internal: bool, notice: bool) -> bool:
    """Staff answering someone else in public: a response (the first one is the first response, it moves a new
    ticket to open, it sets off "agent replied" rules). A notice is the system's own message (a merge's): mailed to
    the requester as a reply is (its event says `notice`), but it answers nothing, so none of that follows from it."""
    return permissions.is_staff_member(author) and not internal and author.pk != ticket.requester_id and not notice


def _comment_save(
    *, ticket: Ticket, author: User, body: str, internal: bool, answers_requester: bool, notice: bool
) -> Comment:
    comment = Comment.objects.create(
        ticket=ticket, author=author, body=body, body_html=render_markdown(body), internal=internal
    )
    record_event(
        ticket=ticket,
        actor=author,
        kind=TicketEventKind.COMMENT,
        field="internal" if internal else "",
        new="Internal note" if internal else "Reply",
        internal=internal,
        payload={
            "comment_id": comment.pk,
            "author_id": author.pk,
            "internal": internal,
            # Staff answering someone else in public: the requester is told, and it counts as a response.
            "answers_requester": answers_requester,
            # The system's own public message (a merge's): the requester is told, but it is no response.
            "notice": notice,
        },
    )
    return comment
