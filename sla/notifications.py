"""The escalation mail: a ticket's promise is about to be missed, or was. Recorded and sent by the worker through
notifications/; `sla.services` decides when (not at 3 a.m. on a Sunday: when the clock's calendar opens)."""

from __future__ import annotations

from accounts.models import User
from automations.assignment import available_agents, is_away
from helpdesk.time_zones import in_zone_of
from notifications.models import NotificationKind
from notifications.services import notification_queue
from sla.display import clock_time_zone
from sla.models import EscalationKind, EscalationNotice
from tickets.models import Team


def escalation_recipients(notice: EscalationNotice) -> list[User]:
    """Who can still keep the promise: the assignee, unless they are away. Otherwise the team's agents who are not
    away (every agent of the team when all are); an away assignee whose team has no agent is still told; nobody when
    there is neither assignee nor agent."""
    ticket = notice.clock.ticket
    assignee = ticket.assignee if ticket.assignee is not None and ticket.assignee.is_agent_or_admin else None
    if assignee is not None and not is_away(assignee):
        return [assignee]
    team = _team_agents(ticket.team) if ticket.team is not None else []
    return team or ([assignee] if assignee is not None else [])


def _team_agents(team: Team) -> list[User]:
    """The team's agents who are not away, or every agent of the team when all are."""
    return available_agents(team) or list(User.objects.staff_of(team))


def mail_escalation(*, notice: EscalationNotice) -> None:
    clock = notice.clock
    breached = notice.kind == EscalationKind.BREACHED
    # A breach is told with when it was missed: a target relaxed since moves due_at later, even past the mail.
    at = (clock.breached_at or clock.due_at) if breached else clock.due_at
    for recipient in escalation_recipients(notice):
        # Told in the calendar's zone, named: the same moment as the recipient's ticket page, whichever zone the
        # worker runs in (a clock counting around the clock, without a calendar, in the recipient's own zone).
        with in_zone_of(recipient):
            time_zone = str(clock_time_zone(clock))
        notification_queue(
            kind=NotificationKind.SLA_ESCALATION,
            key=f"sla-notice:{notice.pk}",
            ticket=clock.ticket,
            recipient=recipient,
            context={"clock": clock, "breached": breached, "at": at, "time_zone": time_zone},
        )
