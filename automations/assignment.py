"""Who gets a ticket: round-robin or fewest open tickets, among a team's agents who are not away."""

from __future__ import annotations

from django.db.models import Count

from accounts.models import User
from automations.models import AssignMode, Availability, TeamRotation
from tickets.models import Team, Ticket


def available_agents(team: Team) -> list[User]:
    """The team's active agents and admins, less those marked away, in a fixed order (by id)."""
    return list(User.objects.staff_of(team).exclude(availability__is_away=True))


def is_away(user: User) -> bool:
    return Availability.objects.filter(user=user, is_away=True).exists()


def assignee_pick(*, team: Team | None, mode: str) -> User | None:
    """The next agent for a ticket of `team`; None when nobody is available. Round-robin moves the rotation on,
    so call it inside the transaction that assigns the ticket."""
    agents = available_agents(team) if team is not None else []
    if not agents:
        return None
    if mode == AssignMode.LEAST_OPEN:
        open_counts = dict(
            Ticket.objects.open()
            .filter(assignee__in=agents)
            .values_list("assignee")
            .annotate(count=Count("id"))
            .values_list("assignee", "count")
        )
        return min(agents, key=lambda agent: (open_counts.get(agent.pk, 0), agent.pk))
    TeamRotation.objects.get_or_create(team=team)
    rotation = TeamRotation.objects.select_for_update().get(team=team)
    last = rotation.last_assigned_id
    chosen = next((agent for agent in agents if last is not None and agent.pk > last), agents[0])
    rotation.last_assigned = chosen
    rotation.save(update_fields=["last_assigned"])
    return chosen
