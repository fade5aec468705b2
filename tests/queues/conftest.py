from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from accounts.services import user_create
from tests.conftest import PASSWORD
from tickets.models import Priority, Status, Team, Ticket
from tickets.services import TicketChanges, ticket_change_status, ticket_create, ticket_update


def subjects(response) -> list[str]:
    """The ticket subjects in the queue, top to bottom."""
    return re.findall(r'<a class="ticket-link" href="/staff/tickets/\d+/">([^<]+)</a>', response.content.decode())


@pytest.fixture
def dave(db, team):
    """A second agent, in bob's team."""
    dave = user_create(email="dave@example.com", password=PASSWORD, name="Dave Agent", role=Role.AGENT)
    team.members.add(dave)
    return dave


@pytest.fixture
def erin(db):
    """An agent in no team."""
    return user_create(email="erin@example.com", password=PASSWORD, name="Erin Agent", role=Role.AGENT)


@pytest.fixture
def desk(alice, mallory, bob, carol, team, category) -> dict[str, Ticket]:
    """One ticket for each built-in view, a minute apart, oldest first."""
    other = Team.objects.create(name="Hardware")
    tickets = {
        "mine": ticket_create(requester=alice, subject="Mine to answer", category=category),
        "unassigned": ticket_create(requester=mallory, subject="Nobody has it"),
        "carols": ticket_create(requester=alice, subject="Carol has it"),
        "pending": ticket_create(requester=alice, subject="Waiting on customer"),
        "solved": ticket_create(requester=mallory, subject="Fixed yesterday"),
        "closed_long_ago": ticket_create(requester=mallory, subject="Closed last year"),
    }
    start = timezone.now() - timedelta(hours=1)
    for minutes, ticket in enumerate(tickets.values()):
        Ticket.objects.filter(pk=ticket.pk).update(created_at=start + timedelta(minutes=minutes))
    ticket_update(ticket=tickets["mine"], actor=bob, changes=TicketChanges(assignee=bob, priority=Priority.HIGH))
    ticket_update(ticket=tickets["carols"], actor=bob, changes=TicketChanges(assignee=carol, team=other))
    ticket_update(ticket=tickets["pending"], actor=bob, changes=TicketChanges(assignee=carol, status=Status.PENDING))
    ticket_update(ticket=tickets["solved"], actor=bob, changes=TicketChanges(assignee=bob, status=Status.RESOLVED))
    ticket_change_status(ticket=tickets["closed_long_ago"], actor=bob, status=Status.CLOSED)
    Ticket.objects.filter(pk=tickets["closed_long_ago"].pk).update(updated_at=timezone.now() - timedelta(days=400))
    return tickets


# What each built-in view lists of the `desk` fixture's tickets, newest first (the page and the API agree).
DESK_VIEW_SUBJECTS = [
    ("mine", ["Mine to answer"]),
    ("unassigned", ["Nobody has it"]),
    ("team", ["Mine to answer"]),
    ("open", ["Waiting on customer", "Carol has it", "Nobody has it", "Mine to answer"]),
    ("pending", ["Waiting on customer"]),
    ("solved", ["Fixed yesterday"]),
]
