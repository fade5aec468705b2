"""Deleting what tickets point to (a team, a tag, an agent's account), from the admin.

The database would drop them from their tickets on its own (SET_NULL, the tags' join rows), leaving no trace in the
tickets' history and telling no rule, webhook or SLA clock. Here each ticket loses them first as an edit by `actor`,
recorded like any other, and the row goes only after, all in one transaction.

The row being deleted is locked first: a ticket given the team (the tag, the agent) meanwhile waits for that lock
(the foreign key's check takes a share of it), so no ticket joins after the tickets were listed and loses it
unrecorded; that edit fails once the row is gone, as any edit naming a deleted row does.
"""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from tickets.models import Tag, Team, Ticket
from tickets.services.common import caused_by
from tickets.services.tags import ticket_untag
from tickets.services.triage import TicketChanges, ticket_update


@transaction.atomic
def team_delete(*, team: Team, actor: User) -> None:
    team = Team.objects.select_for_update().get(pk=team.pk)
    with caused_by(f"team “{team.name}” deleted"):
        for ticket in Ticket.objects.filter(team=team).order_by("pk"):
            ticket_update(ticket=ticket, actor=actor, changes=TicketChanges(team=None))
    team.delete()


@transaction.atomic
def tag_delete(*, tag: Tag, actor: User) -> None:
    tag = Tag.objects.select_for_update().get(pk=tag.pk)
    with caused_by(f"tag “{tag.name}” deleted"):
        for ticket in Ticket.objects.filter(tags=tag).order_by("pk"):
            ticket_untag(ticket=ticket, actor=actor, tag=tag)
    tag.delete()


@transaction.atomic
def user_delete(*, user: User, actor: User) -> None:
    """Here rather than in accounts.services: the tickets assigned to the user are unassigned first."""
    user = User.objects.select_for_update().get(pk=user.pk)
    with caused_by(f"account of {user.display_name} deleted"):
        for ticket in Ticket.objects.filter(assignee=user).order_by("pk"):
            ticket_update(ticket=ticket, actor=actor, changes=TicketChanges(assignee=None))
    user.delete()
