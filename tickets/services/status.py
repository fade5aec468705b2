"""Where a ticket changes status: `ticket_change_status`, checked against `tickets.workflow`."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from helpdesk.errors import InvalidTransition, InvalidValue, NotPermitted
from sla.services import sla_clocks_update
from tickets import permissions
from tickets.models import Status, Ticket, TicketEventKind
from tickets.services.audit import record_event
from tickets.services.common import lock_ticket, staff_only
from tickets.workflow import is_allowed_transition


@transaction.atomic
def ticket_change_status(*, ticket: Ticket, actor: User | None, status: str, system: bool = False) -> Ticket:
    """Move a ticket along the workflow. `system` marks the automatic reopen by a requester's reply."""
    if not system and not permissions.can_triage_ticket(actor):
        raise NotPermitted("Only agents and admins may change the status.", details=staff_only({"status": 1}))
    if status not in Status.values:
        raise InvalidValue("Invalid status.", details={"status": [f"“{status}” is not a valid status."]})
    ticket = lock_ticket(ticket, actor=actor)
    old = ticket.status
    if old == status:
        return ticket
    if ticket.merged_into_id is not None and status != Status.CLOSED:
        # Its conversation moved there (tickets.services.merge): reopened, it would be an empty shell in the queue.
        raise InvalidTransition(
            f"#{ticket.pk} was merged into #{ticket.merged_into_id}: the conversation continues there.",
            details={"status": [f"Work on #{ticket.merged_into_id} instead."]},
        )
    if not is_allowed_transition(old, status):
        raise InvalidTransition(
            f"A ticket cannot move from {old} to {status}.",
            details={"status": [f"Allowed from {old}: {', '.join(_allowed_from(old)) or 'nothing'}."]},
        )
    if old == Status.CLOSED and not system and not permissions.can_reopen_closed_ticket(actor):
        raise InvalidTransition("Only agents may reopen a closed ticket.", details={"status": ["Not allowed."]})
    now = timezone.now()
    ticket.status = status
    ticket.updated_at = now
    if status == Status.RESOLVED:
        ticket.resolved_at = now
    elif status == Status.CLOSED:
        ticket.closed_at = now
    elif status == Status.OPEN:
        ticket.resolved_at = None
        ticket.closed_at = None
    ticket.save(update_fields=["status", "updated_at", "resolved_at", "closed_at"])
    record_event(ticket=ticket, actor=actor, kind=TicketEventKind.STATUS, field="status", old=old, new=status)
    sla_clocks_update(ticket=ticket)
    return ticket


def _allowed_from(status: str) -> list[str]:
    return [s for s in Status.values if is_allowed_transition(status, s)]
