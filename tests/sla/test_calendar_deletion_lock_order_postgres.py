"""An admin deleting a business calendar while a ticket's clocks on that calendar are written: the deletion takes the
clocks before the calendar, as the ticket's write does, so neither can deadlock the other (PostgreSQL ends one of
the two, a 503).

Real parallel connections (one per thread): SQLite takes one writer at a time for the whole file and cannot show
this, so it runs only when DATABASE_URL points at PostgreSQL.
"""

from __future__ import annotations

import threading
from datetime import time

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.http import HttpResponse
from django.urls import reverse

from sla.models import BusinessCalendar, Metric, OpeningHours, SlaClock, SlaPolicy, SlaTarget, TeamCalendar
from sla.services import sla_clocks_update
from tests.support.servers import wait_until
from tests.support.threads import parallel_on_postgresql, run_together, someone_waits_for_a_lock
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


def _edit_pausing_before_its_commit(
    monkeypatch: pytest.MonkeyPatch, *, holding: threading.Event, done: threading.Event
) -> None:
    """Make the edit stop once its clocks are written (the ticket and its clocks locked, its commit still to come),
    set `holding`, and go on once the deletion waits for a lock (or, if it waited for none, has finished: `done`)."""
    from tickets.services import triage

    def clocks_update_pausing(**kwargs: object) -> None:
        sla_clocks_update(**kwargs)  # type: ignore[arg-type]
        holding.set()
        wait_until(lambda: done.is_set() or someone_waits_for_a_lock(), timeout=10, what="the deletion waiting")

    monkeypatch.setattr(triage, "sla_clocks_update", clocks_update_pausing)


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
    admin, agent = client_for(carol), api_client_for(bob)
    holding, done = threading.Event(), threading.Event()
    _edit_pausing_before_its_commit(monkeypatch, holding=holding, done=done)

    def agent_moves_the_ticket() -> HttpResponse:
        return agent.patch(f"/api/v1/tickets/{ticket.pk}/", {"team": tier2.pk}, format="json")

    def admin_deletes_the_calendar() -> HttpResponse:
        assert holding.wait(timeout=10)
        try:
            if deleted_by == "delete-page":
                return admin.post(reverse("admin:sla_businesscalendar_delete", args=[night_shift.pk]), {"post": "yes"})
            form = {"action": "delete_selected", "post": "yes", ACTION_CHECKBOX_NAME: [night_shift.pk]}
            return admin.post(reverse("admin:sla_businesscalendar_changelist"), form)
        finally:
            done.set()

    edit, deletion = run_together([agent_moves_the_ticket, admin_deletes_the_calendar])

    assert (edit.status_code, deletion.status_code) == (200, 302)
    assert not BusinessCalendar.objects.filter(pk=night_shift.pk).exists()
    assert Ticket.objects.get(pk=ticket.pk).team == tier2
    clocks = SlaClock.objects.filter(ticket=ticket).order_by("id")
    assert [(clock.metric, clock.calendar_id) for clock in clocks] == [
        (Metric.FIRST_RESPONSE, office.pk),
        (Metric.RESOLUTION, office.pk),
    ]
