"""The escalation mail: a ticket's promise is about to be missed, or was. Recorded and sent by the worker through
notifications/; `sla.services` decides when (not at 3 a.m. on a Sunday: when the clock's calendar opens)."""

from __future__ import annotations

from accounts.models import User
from notifications.models import NotificationKind
from notifications.services import notification_queue
from sla.models import EscalationKind, EscalationNotice


def escalation_recipients(notice: EscalationNotice) -> list[User]:
    """The assignee; the team's agents when nobody is assigned; nobody when there is neither."""
    ticket = notice.clock.ticket
    if ticket.assignee is not None and ticket.assignee.is_agent_or_admin:
        return [ticket.assignee]
    if ticket.team is not None:
        return list(User.objects.staff().filter(teams=ticket.team).order_by("pk"))
    return []


def mail_escalation(*, notice: EscalationNotice) -> None:
    clock = notice.clock
    context = {"clock": clock, "breached": notice.kind == EscalationKind.BREACHED}
    for recipient in escalation_recipients(notice):
        notification_queue(
            kind=NotificationKind.SLA_ESCALATION,
            key=f"sla-notice:{notice.pk}",
            ticket=clock.ticket,
            recipient=recipient,
            context=context,
        )
