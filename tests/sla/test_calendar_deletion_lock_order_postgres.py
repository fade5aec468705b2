"""An admin deleting a business calendar while a ticket's clocks on that calendar are written: the deletion takes the
clocks before the calendar, as the ticket's write does, so neither can deadlock the other (PostgreSQL ends one of
the two, a 503). And while a ticket moves to a team working that calendar, none of its clocks on it yet: the write
keeps the calendar until its commit, so neither ends in an IntegrityError on the clock's foreign key (a 500).

Real parallel connections (one per thread): SQLite takes one writer at a time for the whole file and cannot show
this, so it runs only when DATABASE_URL points at PostgreSQL.
"""

from __future__ import annotations

from datetime import time

import pytest

from sla.models import BusinessCalendar, Metric, OpeningHours, SlaClock, SlaPolicy, SlaTarget, TeamCalendar
from sla.services import sla_clocks_update
from tests.sla.races import admin_deletes, edit_and_deletion_together
from tests.support.threads import parallel_on_postgresql
from tickets.models import Priority, Team, Ticket

pytestmark = parallel_on_postgresql("real row locks and parallel connections")


def _night_shift_of(*teams: Team) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.create(name="Night shift", time_zone="Europe/Berlin")
    OpeningHours.objects.bulk_create(
        OpeningHours(calendar=calendar, weekday=day, opens=time(18), closes=time(0)) for day in range(7)
    )
    TeamCalendar.objects.bulk_create(TeamCalendar(team=team, calendar=calendar) for team in teams)
    return calendar


def _promises(name: str, team: Team, *, resolution_minutes: int | None) -> None:
    policy = SlaPolicy.objects.create(name=name, position=team.pk, conditions={"team": str(team.pk)})
    SlaTarget.objects.create(
        policy=policy, priority=Priority.URGENT, first_response_minutes=60, resolution_minutes=resolution_minutes
    )


@pytest.mark.parametrize("deleted_by", ["delete-page", "delete-selected"])
def test_a_ticket_moved_to_a_team_of_the_calendar_being_deleted_is_moved_and_its_clocks_go_on_in_the_default_one(
    monkeypatch, client_for, api_client_for, bob, carol, ticket, office, deleted_by
):
    """Tier 1 and Tier 2 work the night shift; only Tier 2 promises a resolution. The move held the ticket's first
    response clock (on the night shift) and started a resolution clock on it, whose foreign key, checked at the
    commit, waited for the calendar the deletion held while it waited for the first clock (to unset its calendar):
    PostgreSQL ended one of the two, the admin's page a 503. The deletion now takes the calendar's running clocks
    before the calendar: it waits for the move, then unsets the calendar of both clocks, and the refresh it asks for
    puts them on the default calendar (the office's)."""
    tier1, tier2 = Team.objects.create(name="Tier 1"), Team.objects.create(name="Tier 2")
    night_shift = _night_shift_of(tier1, tier2)
    _promises("Tier 1", tier1, resolution_minutes=None)
    _promises("Tier 2", tier2, resolution_minutes=8 * 60)
    Ticket.objects.filter(pk=ticket.pk).update(team=tier1, priority=Priority.URGENT)
    sla_clocks_update(ticket=Ticket.objects.get(pk=ticket.pk))
    assert list(SlaClock.objects.values_list("metric", "calendar")) == [(Metric.FIRST_RESPONSE, night_shift.pk)]
    _moved_while_the_calendar_is_deleted(
        monkeypatch,
        paused="edit",
        admin=client_for(carol),
        agent=api_client_for(bob),
        ticket=ticket,
        team=tier2,
        calendar=night_shift,
        deleted_by=deleted_by,
    )
    clocks = SlaClock.objects.filter(ticket=ticket).order_by("id")
    assert [(clock.metric, clock.calendar_id) for clock in clocks] == [
        (Metric.FIRST_RESPONSE, office.pk),
        (Metric.RESOLUTION, office.pk),
    ]


def _urgent_ticket_on_the_default_calendar(ticket: Ticket, office: BusinessCalendar) -> None:
    """The ticket's team (Support) works by the default calendar and promises a first response only."""
    _promises("Support", ticket.team, resolution_minutes=None)
    Ticket.objects.filter(pk=ticket.pk).update(priority=Priority.URGENT)
    sla_clocks_update(ticket=Ticket.objects.get(pk=ticket.pk))
    assert list(SlaClock.objects.values_list("metric", "calendar")) == [(Metric.FIRST_RESPONSE, office.pk)]


@pytest.mark.parametrize("deleted_by", ["delete-page", "delete-selected"])
@pytest.mark.parametrize("paused", ["deletion", "edit"])
def test_a_ticket_moved_to_a_team_whose_calendar_is_being_deleted_is_moved_on_the_default_calendar(
    monkeypatch, client_for, api_client_for, bob, carol, ticket, office, deleted_by, paused
):
    """No clock named the night shift when the admin deleted it, so the deletion had none to unset. Deletion first:
    the move, which read the calendar before the deletion committed, wrote a clock naming it, whose foreign key,
    checked at the commit, found the calendar gone (an IntegrityError, a 500 for the agent and the move lost); the
    move now waits for the deletion. Move first: the move's commit failed the same way; the deletion now waits for
    the move, then unsets the calendar of its clocks. Either way the clocks count by the default calendar, as the
    team has none any more."""
    tier2 = Team.objects.create(name="Tier 2")
    night_shift = _night_shift_of(tier2)
    _promises("Tier 2", tier2, resolution_minutes=8 * 60)
    _urgent_ticket_on_the_default_calendar(ticket, office)
    _moved_while_the_calendar_is_deleted(
        monkeypatch,
        paused=paused,
        admin=client_for(carol),
        agent=api_client_for(bob),
        ticket=ticket,
        team=tier2,
        calendar=night_shift,
        deleted_by=deleted_by,
    )
    clocks = SlaClock.objects.filter(ticket=ticket).order_by("id")
    assert [(clock.metric, clock.calendar_id) for clock in clocks] == [
        (Metric.FIRST_RESPONSE, office.pk),
        (Metric.RESOLUTION, office.pk),
    ]


def _moved_while_the_calendar_is_deleted(
    monkeypatch: pytest.MonkeyPatch,
    *,
    paused: str,
    admin: object,
    agent: object,
    ticket: Ticket,
    team: Team,
    calendar: BusinessCalendar,
    deleted_by: str,
) -> None:
    """An agent moves the ticket to `team` while an admin deletes `calendar`: the `paused` side ("edit" or
    "deletion") goes first and stops before its commit until the other waits for a lock. Both succeed."""
    edit, deletion = edit_and_deletion_together(
        monkeypatch,
        paused=paused,
        edit=lambda: agent.patch(f"/api/v1/tickets/{ticket.pk}/", {"team": team.pk}, format="json"),
        deletion=lambda: admin_deletes(admin, calendar, deleted_by),
    )

    assert (edit.status_code, deletion.status_code) == (200, 302)
    assert not BusinessCalendar.objects.filter(pk=calendar.pk).exists()
    assert Ticket.objects.get(pk=ticket.pk).team == team
