"""Triage edits (status, priority, assignee, team, category, tags) and corrections of a ticket's text."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from accounts.models import User
from events.models import EventKind
from events.services import event_record, one_edit
from helpdesk.errors import InvalidValue, NotPermitted, PreconditionFailed
from queues.kept import queue_outdated
from sla.services import sla_clocks_update
from tickets import permissions
from tickets.etags import ticket_etag
from tickets.markdown import render_markdown
from tickets.models import Category, Priority, Team, Ticket
from tickets.services.audit import record_event
from tickets.services.common import (
    NAMED_ROWS,
    Row,
    lock_ticket,
    lock_ticket_keeping,
    named_row_refused,
    named_rows,
    refuse_if_actor_gone,
    staff_only,
    ticket_locked_keeping,
    validate_assignee,
)
from tickets.services.status import ticket_change_status
from tickets.services.tags import tags_to_keep, ticket_set_tags

UNSET: object = object()


@dataclass(frozen=True)
class TicketChanges:
    """What a triage edit asks for. Fields left UNSET are not touched."""

    status: str | object = UNSET
    priority: int | object = UNSET
    assignee: User | object | None = UNSET
    team: Team | object | None = UNSET
    category: Category | object | None = UNSET
    tags: Sequence[str] | object = UNSET


@transaction.atomic
@one_edit()
def ticket_update(
    *,
    ticket: Ticket,
    actor: User,
    changes: TicketChanges,
    expected_etags: Collection[str] | None = None,
    precondition: Callable[[Ticket], None] | None = None,
) -> Ticket:
    """Apply a triage edit: each changed field is saved and recorded as its own audit event.

    `expected_etags` (a client's If-Match) makes the edit conditional: it applies only if the ticket's current
    ETag is one of them. The check runs under the row lock, so of two edits made from the same read only one wins.
    `precondition` is another such check, given the locked ticket, that raises to refuse the edit (ticket_take).
    """
    requested = {name: value for name, value in vars(changes).items() if value is not UNSET}
    if requested and not permissions.can_triage_ticket(actor):
        raise NotPermitted("Only agents and admins may change these fields.", details=staff_only(requested))
    asked = _rows_asked(requested)
    ticket, gone = ticket_locked_keeping(ticket.pk, also=rows_an_edit_names(actor=actor, changes=changes))
    refuse_if_actor_gone(actor, gone)
    if ticket is None:
        raise Ticket.DoesNotExist
    if expected_etags is not None:
        _ensure_unchanged(ticket, expected_etags)
    if precondition is not None:
        precondition(ticket)
    if refused := named_row_refused(asked, gone):
        raise refused  # after the If-Match check and the precondition, as before
    if "status" in requested:
        # Returns the row it re-read under the lock we already hold, with the new status.
        ticket = ticket_change_status(ticket=ticket, actor=actor, status=requested.pop("status"))
    if "assignee" in requested:
        validate_assignee(requested["assignee"])
    if "priority" in requested and requested["priority"] not in Priority.values:
        raise InvalidValue("Invalid priority.", details={"priority": ["Not a valid priority."]})

    changed_fields = []
    for field in ("priority", "assignee", "team", "category"):
        if field not in requested:
            continue
        old, new = getattr(ticket, field), requested[field]
        if old == new:
            continue
        setattr(ticket, field, new)
        changed_fields.append(field)
        if field == "priority":
            old, new = Priority(old).label, Priority(new).label
        record_event(ticket=ticket, actor=actor, kind=field, field=field, old=old, new=new)
    if changed_fields:
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=[*changed_fields, "updated_at"])
    if "tags" in requested:
        ticket_set_tags(ticket=ticket, actor=actor, names=requested["tags"])
    sla_clocks_update(ticket=ticket)
    return ticket


@transaction.atomic
def ticket_take(*, ticket: Ticket, actor: User, shown_assignee_id: int | None) -> Ticket:
    """Assign the ticket to `actor` ("Assign to me"), taking it from the assignee their page showed (`None`: nobody),
    but never from someone who took it since: then nothing changes and the refusal names them. Checked under the
    row lock, so of two agents taking the same ticket at once the second is told the first has it.

    Checked by ticket_update, under the lock it takes only after keeping the taker's account: a take that locked the
    ticket first, and then waited for the account a deletion held while it waited for the ticket (its assignee's
    too, deleted together: "Delete selected"), was ended by PostgreSQL as a deadlock (a 503)."""
    not_taken = partial(_ensure_not_taken, actor=actor, shown_assignee_id=shown_assignee_id)
    return ticket_update(ticket=ticket, actor=actor, changes=TicketChanges(assignee=actor), precondition=not_taken)


def _ensure_not_taken(ticket: Ticket, *, actor: User, shown_assignee_id: int | None) -> None:
    if ticket.assignee_id not in (None, shown_assignee_id, actor.pk):
        taken_by = ticket.assignee.display_name
        raise PreconditionFailed(
            f"{taken_by} took this ticket meanwhile.", details={"assignee": [f"Assigned to {taken_by} now."]}
        )


@transaction.atomic
def ticket_lock_unchanged(
    *, ticket: Ticket, expected_etags: Collection[str], also: AbstractSet[Row] = frozenset()
) -> Ticket:
    """Lock the ticket for the rest of the caller's transaction, refusing if it changed since the client read it.

    For an edit made of several service calls (the admin saves text and triage fields in one go). What the ticket
    names, and the rows of `also` (what the edit names: rows_an_edit_names), are kept before the lock, as
    ticket_update keeps them before its own.
    """
    locked = lock_ticket_keeping(ticket.pk, also=also)
    _ensure_unchanged(locked, expected_etags)
    return locked


def rows_an_edit_names(*, actor: User | None, changes: TicketChanges) -> set[Row]:
    """The rows a triage edit writes rows naming, to keep before the ticket's lock with those the ticket names
    (common.ticket_locked_keeping): its actor (its audit entries and domain events name them), the team, agent and
    category it points the ticket to, and the tags it sets (created if missing: tags.tags_to_keep).

    The deletion of any of them locks the row and then the tickets naming it (tickets.services.removal): an edit
    that held the ticket while its foreign keys' checks waited for a row the deletion held, waiting for that ticket,
    was ended by PostgreSQL as a deadlock (a 503). Kept first, in the one lock_order pass, a row a deletion holds is
    waited for and then found gone (an edit naming it is refused), and a deletion starting later waits for the edit.
    A caller that locks the ticket itself before the edit (a macro, a bulk edit, a rule, the admin's save) keeps
    these rows first: ticket_update's own keep, under its caller's lock, then finds them kept already."""
    rows = named_rows(_rows_asked(vars(changes)))
    if actor is not None and actor.pk is not None:
        rows.add((User, actor.pk))
    if changes.tags is not UNSET:
        rows |= tags_to_keep(names=changes.tags)  # type: ignore[arg-type]  # a sequence of names when set
    return rows


def _rows_asked(requested: Mapping[str, object]) -> dict[str, Model]:
    """The team, agent and category an edit points the ticket to, by field (None, for "none", names no row)."""
    return {field: row for field in NAMED_ROWS if isinstance(row := requested.get(field), Model)}


def _ensure_unchanged(ticket: Ticket, expected_etags: Collection[str]) -> None:
    if ticket_etag(ticket) not in expected_etags:
        raise PreconditionFailed(
            "The ticket has changed since you read it. Fetch it again and retry.",
            details={"If-Match": ["Does not match the ticket's current ETag."]},
        )


@transaction.atomic
def ticket_edit_content(*, ticket: Ticket, actor: User, subject: str, description: str) -> Ticket:
    """Correct a ticket's subject or description (staff only; not an audited triage field)."""
    if not permissions.can_triage_ticket(actor):
        raise NotPermitted("Only agents and admins may edit a ticket's text.")
    subject = subject.strip()
    if not subject:
        raise InvalidValue("Subject is required.", details={"subject": ["This field may not be blank."]})
    ticket = lock_ticket(ticket, actor=actor)
    ticket.subject = subject
    ticket.description = description
    ticket.description_html = render_markdown(description)
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["subject", "description", "description_html", "updated_at"])
    event_record(kind=EventKind.TICKET_EDITED, ticket=ticket, actor=actor, internal=True)
    queue_outdated()  # no audit entry (record_event) outdates the queue here: its rows show the subject and description
    return ticket
