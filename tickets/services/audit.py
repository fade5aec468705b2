"""The audit trail and the domain events: every recorded change goes through `record_event`."""

from __future__ import annotations

from django.db.models import Model

from accounts.models import User
from events.models import EventKind
from events.services import current_cause, event_record
from queues.kept import queue_outdated
from tickets.models import Ticket, TicketEvent, TicketEventKind

# Changes to these fields are staff-only events: requesters see status changes and the public conversation.
PUBLIC_EVENT_KINDS = frozenset({TicketEventKind.CREATED, TicketEventKind.STATUS, TicketEventKind.MERGED})


def _describe(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, User):
        return value.display_name
    return str(value)


# Every timeline entry is also a domain event (events.models.EventKind) for the worker and integrations.
DOMAIN_EVENT_KINDS = {
    TicketEventKind.CREATED: EventKind.TICKET_CREATED,
    TicketEventKind.STATUS: EventKind.STATUS_CHANGED,
    TicketEventKind.PRIORITY: EventKind.PRIORITY_CHANGED,
    TicketEventKind.ASSIGNEE: EventKind.ASSIGNEE_CHANGED,
    TicketEventKind.TEAM: EventKind.TEAM_CHANGED,
    TicketEventKind.CATEGORY: EventKind.CATEGORY_CHANGED,
    TicketEventKind.TAGS: EventKind.TAGS_CHANGED,
    TicketEventKind.COMMENT: EventKind.COMMENT_ADDED,
    TicketEventKind.ATTACHMENT: EventKind.ATTACHMENT_ADDED,
    TicketEventKind.BOUNCE: EventKind.MAIL_BOUNCED,
    TicketEventKind.MERGED: EventKind.TICKET_MERGED,
    TicketEventKind.LINKED: EventKind.TICKET_LINKED,
    TicketEventKind.UNLINKED: EventKind.TICKET_UNLINKED,
}


def _raw(value: object) -> object:
    """What a domain event's payload keeps of a value: the id of a row, the value itself otherwise."""
    return value.pk if isinstance(value, Model) else value


def record_event(
    *,
    ticket: Ticket,
    actor: User | None,
    kind: str,
    field: str = "",
    old: object = None,
    new: object = None,
    internal: bool | None = None,
    payload: dict[str, object] | None = None,
) -> TicketEvent:
    """The audit timeline's entry, in words as they read at the time, and the domain event, in ids and raw values.

    The payload defaults to {"old", "new"} as raw values; entries that are not a field change pass their own.
    """
    if internal is None:
        internal = kind not in PUBLIC_EVENT_KINDS
    event_record(
        kind=DOMAIN_EVENT_KINDS[kind],
        ticket=ticket,
        actor=actor,
        internal=internal,
        payload=payload if payload is not None else {"old": _raw(old), "new": _raw(new)},
    )
    queue_outdated()  # every ticket change comes through here: the queue's kept counts and pages are out of date
    cause = current_cause()
    return TicketEvent.objects.create(
        ticket=ticket,
        actor=actor,
        kind=kind,
        via=cause.get("label", "") if cause else "",
        field=field,
        old_value=_describe(old),
        new_value=_describe(new),
        internal=internal,
    )
