"""Who is told a promise is about to be missed: someone who can still keep it, not an agent who is away."""

from __future__ import annotations

import pytest
from django.core import mail

from accounts.models import User
from automations.services import agent_set_away
from sla.services import sla_sweep
from tests.sla.conftest import berlin
from tickets.models import Priority, Team
from tickets.services import TicketChanges, ticket_create, ticket_update


@pytest.fixture
def both(team: Team, carol: User) -> Team:
    """The Support team: bob, and carol, an admin."""
    team.members.add(carol)
    return team


def _warned(alice, bob, clock, capture, *, team: Team | None, assignee: User | None) -> list[str]:
    """An urgent ticket created Monday 9:00, its first-response warning found at 12:05: whom it was mailed to."""
    clock.to(berlin(2026, 3, 2, 9, 0))
    with capture(execute=True):
        ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
        ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(team=team, assignee=assignee))
    mail.outbox.clear()
    clock.to(berlin(2026, 3, 2, 12, 5))
    with capture(execute=True):
        sla_sweep()
    return sorted(address for message in mail.outbox for address in message.to)


def test_an_away_assignees_warning_goes_to_the_team_agents_who_are_not_away(
    alice, bob, carol, both, policy, clock, django_capture_on_commit_callbacks
):
    agent_set_away(user=bob, away=True)
    to = _warned(alice, bob, clock, django_capture_on_commit_callbacks, team=both, assignee=bob)
    assert to == [carol.email]


def test_an_unassigned_tickets_warning_skips_the_agents_who_are_away(
    alice, bob, carol, both, policy, clock, django_capture_on_commit_callbacks
):
    agent_set_away(user=bob, away=True)
    assert _warned(alice, bob, clock, django_capture_on_commit_callbacks, team=both, assignee=None) == [carol.email]


def test_when_the_whole_team_is_away_it_is_told_all_the_same(
    alice, bob, team, policy, clock, django_capture_on_commit_callbacks
):
    agent_set_away(user=bob, away=True)
    assert _warned(alice, bob, clock, django_capture_on_commit_callbacks, team=team, assignee=None) == [bob.email]


def test_an_away_assignee_without_a_team_is_still_told(alice, bob, policy, clock, django_capture_on_commit_callbacks):
    agent_set_away(user=bob, away=True)
    assert _warned(alice, bob, clock, django_capture_on_commit_callbacks, team=None, assignee=bob) == [bob.email]


def test_an_away_assignee_whose_team_has_no_agent_is_still_told(
    alice, bob, policy, clock, django_capture_on_commit_callbacks
):
    agent_set_away(user=bob, away=True)
    empty = Team.objects.create(name="Night shift")
    assert _warned(alice, bob, clock, django_capture_on_commit_callbacks, team=empty, assignee=bob) == [bob.email]
