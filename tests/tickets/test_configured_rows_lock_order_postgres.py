"""A configuration save keeping the rows it names and an admin deleting several rows lock them in one order, by model
then by id (tickets.services.common.lock_order), so neither can deadlock the other (PostgreSQL ends one of the two,
a 503 to its admin). Likewise a ticket edit keeps the rows it names before it locks the ticket, and "Delete selected"
locks all its rows before it edits their tickets: the rows, then the tickets.

Real parallel connections (one per thread): SQLite takes one writer at a time for the whole file and cannot show
this, so it runs only when DATABASE_URL points at PostgreSQL.
"""

from __future__ import annotations

import threading

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import transaction
from django.http import HttpResponse
from django.urls import reverse

from automations.models import Rule
from tests.support.servers import wait_until
from tests.support.threads import parallel_on_postgresql, run_together, someone_waits_for_a_lock
from tickets.models import Team, Ticket, TicketEvent, TicketEventKind
from tickets.services.common import ensure_configured_rows_remain

pytestmark = parallel_on_postgresql("real row locks and parallel connections")


def teams_lower_and_higher() -> tuple[Team, Team]:
    # Named so that the admin's list (by name) shows the higher id first.
    lower = Team.objects.create(name="Zulu")
    higher = Team.objects.create(name="Alpha")
    assert lower.pk < higher.pk
    return lower, higher


def test_a_rule_saved_naming_two_teams_locks_them_in_id_order_so_a_deletion_of_both_cannot_deadlock_it(
    client_for, carol
):
    """The rule names the higher team first (its action) and the lower one after (its condition)."""
    lower, higher = teams_lower_and_higher()
    browser = client_for(carol)
    deleting_the_lower = threading.Event()

    def deletion_locking_in_id_order() -> None:
        with transaction.atomic():
            Team.objects.select_for_update().get(pk=lower.pk)
            deleting_the_lower.set()
            wait_until(someone_waits_for_a_lock, timeout=10, what="the save waiting for the lower team")
            Team.objects.select_for_update().get(pk=higher.pk)

    def admin_saves_rule() -> object:
        assert deleting_the_lower.wait(timeout=10)
        form = {
            "name": "Escalate", "is_active": "on", "trigger": "ticket_created", "position": 0,
            "conditions": f'{{"team": "{lower.pk}"}}', "set_team": higher.pk,
        }  # fmt: skip
        return browser.post(reverse("admin:automations_rule_add"), form)

    _, response = run_together([deletion_locking_in_id_order, admin_saves_rule])

    assert response.status_code == 302
    assert Rule.objects.get().set_team == higher


def test_teams_deleted_together_are_locked_in_id_order_so_a_save_naming_both_cannot_deadlock_it(client_for, carol):
    """The admin's list shows the higher id first; the deletion takes the lower first all the same."""
    lower, higher = teams_lower_and_higher()
    browser = client_for(carol)
    keeping_the_lower = threading.Event()

    def save_keeping_both_in_id_order() -> None:
        with transaction.atomic():
            ensure_configured_rows_remain(Rule(set_team=lower))
            keeping_the_lower.set()
            wait_until(someone_waits_for_a_lock, timeout=10, what="the deletion waiting for the lower team")
            ensure_configured_rows_remain(Rule(set_team=higher))

    def admin_deletes_both() -> object:
        assert keeping_the_lower.wait(timeout=10)
        form = {"action": "delete_selected", "post": "yes", ACTION_CHECKBOX_NAME: [higher.pk, lower.pk]}
        return browser.post(reverse("admin:tickets_team_changelist"), form)

    _, response = run_together([save_keeping_both_in_id_order, admin_deletes_both])

    assert response.status_code == 302
    assert not Team.objects.exists()


# --- a ticket moved between two teams while "Delete selected" deletes both ----------------------------------------


def _edit_pausing_at_the_ticket_lock(
    monkeypatch: pytest.MonkeyPatch, *, after: bool, holding: threading.Event, done: threading.Event
) -> list[int]:
    """Make the edit made on this test's edit thread stop at its ticket lock (`after` taking it, or just before), set
    `holding`, and go on once the deletion waits for a lock (or, if it waited for none, has finished: `done`)."""
    from tickets.services import triage

    lock_ticket = triage.lock_ticket
    pausing: list[int] = []

    def pause() -> None:
        holding.set()
        wait_until(lambda: done.is_set() or someone_waits_for_a_lock(), timeout=10, what="the deletion waiting")

    def lock_ticket_pausing(ticket: Ticket) -> Ticket:
        if threading.get_ident() not in pausing:
            return lock_ticket(ticket)
        pausing.clear()  # once: the deletion's own edits, and any later one, go straight through
        if not after:
            pause()
        locked = lock_ticket(ticket)
        if after:
            pause()
        return locked

    monkeypatch.setattr(triage, "lock_ticket", lock_ticket_pausing)
    return pausing


def _moved_while_both_are_deleted(
    monkeypatch: pytest.MonkeyPatch, client_for, api_client_for, bob, carol, ticket: Ticket, *, to_lower: bool
) -> tuple[HttpResponse, HttpResponse]:
    """The agent moves the ticket (through the API) from one of two teams to the other while the admin deletes both
    ("Delete selected"), the edit paused at its ticket lock until the deletion waits: what each was answered."""
    lower, higher = teams_lower_and_higher()
    start, goal = (higher, lower) if to_lower else (lower, higher)
    Ticket.objects.filter(pk=ticket.pk).update(team=start)
    admin, agent = client_for(carol), api_client_for(bob)
    holding, done = threading.Event(), threading.Event()
    pausing = _edit_pausing_at_the_ticket_lock(monkeypatch, after=to_lower, holding=holding, done=done)

    def agent_moves_the_ticket() -> HttpResponse:
        pausing.append(threading.get_ident())
        return agent.patch(f"/api/v1/tickets/{ticket.pk}/", {"team": goal.pk}, format="json")

    def admin_deletes_both() -> HttpResponse:
        assert holding.wait(timeout=10)
        form = {"action": "delete_selected", "post": "yes", ACTION_CHECKBOX_NAME: [higher.pk, lower.pk]}
        try:
            return admin.post(reverse("admin:tickets_team_changelist"), form)
        finally:
            done.set()

    edit, deletion = run_together([agent_moves_the_ticket, admin_deletes_both])
    return edit, deletion


@pytest.mark.parametrize(
    ("to_lower", "moves"),
    [
        # The edit held the ticket and then waited for the lower team, which the deletion held while it waited for
        # the ticket (a ticket of the higher team): PostgreSQL ended one of the two (a 503). The edit now keeps the
        # team it names before it locks the ticket: the deletion waits for it, then finds the ticket in that team.
        pytest.param(True, [("Alpha", "Zulu"), ("Zulu", "")], id="to-the-lower"),
        # "Delete selected" locks both teams before it touches a ticket, so it never holds the ticket (one of the
        # lower team's) while it waits for the higher team, which the edit keeps.
        pytest.param(False, [("Zulu", "Alpha"), ("Alpha", "")], id="to-the-higher"),
    ],
)
def test_a_ticket_moved_to_one_of_two_teams_deleted_together_is_moved_and_then_loses_it_without_a_deadlock(
    monkeypatch, client_for, api_client_for, bob, carol, ticket, to_lower, moves
):
    edit, deletion = _moved_while_both_are_deleted(
        monkeypatch, client_for, api_client_for, bob, carol, ticket, to_lower=to_lower
    )

    assert (edit.status_code, deletion.status_code) == (200, 302)
    assert not Team.objects.filter(name__in=["Zulu", "Alpha"]).exists()
    ticket.refresh_from_db()
    assert ticket.team is None
    team_moves = TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.TEAM).order_by("id")
    assert [(event.old_value, event.new_value) for event in team_moves] == moves
