"""Pieces every ticket service uses: the row lock, and refusals of staff-only fields and assignees."""

from __future__ import annotations

from accounts.models import User
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
