"""Pieces every ticket service uses: the row lock, refusals of staff-only fields and assignees, and the reason an
admin's change to what tickets point to gives their history."""

from __future__ import annotations

from contextlib import AbstractContextManager

from accounts.models import User
from events.services import current_cause, events_caused_by
from helpdesk.errors import InvalidValue
from tickets.models import Ticket


def lock_ticket(ticket: Ticket) -> Ticket:
    """Re-read the ticket under a row lock so concurrent edits are applied one after the other."""
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def staff_only(fields: dict[str, object]) -> dict[str, list[str]]:
    return {name: ["Only agents and admins may set this field."] for name, given in fields.items() if given}


def validate_assignee(assignee: User | None) -> None:
    if assignee is not None and not assignee.is_agent_or_admin:
        raise InvalidValue("Invalid assignee.", details={"assignee": ["Tickets can only be assigned to agents."]})


def caused_by(label: str) -> AbstractContextManager[None]:
    """The edits recorded inside say why the ticket changed: "via team “Support” deleted"."""
    return events_caused_by({**(current_cause() or {}), "label": label})
