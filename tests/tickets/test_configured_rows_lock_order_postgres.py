"""A configuration save keeping the rows it names and an admin deleting several rows lock them in one order, by model
then by id (tickets.services.common.lock_order), so neither can deadlock the other (PostgreSQL ends one of the two,
a 503 to its admin). Likewise a ticket edit keeps the rows it names before it locks the ticket, and "Delete selected"
locks all its rows before it edits their tickets: the rows, then the tickets.

Real parallel connections (one per thread): SQLite takes one writer at a time for the whole file and cannot show
this, so it runs only when DATABASE_URL points at PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import user_create
from automations.models import NotifyWho, Rule, TimeBase, Trigger
from automations.services import time_rules_run
from notifications.models import Notification, NotificationKind
from queues.services import BulkChanges, BulkOutcome, tickets_bulk_update
from reports.models import TicketMetrics
from reports.services import ticket_metrics_update
from sla.models import EscalationKind, EscalationNotice, Metric, SlaClock
from sla.services import sla_notices_send
from tests.support.servers import wait_until
from tests.support.threads import parallel_on_postgresql, run_together, someone_waits_for_a_lock
from tickets.models import Tag, Team, Ticket, TicketEvent, TicketEventKind
from tickets.services.common import ensure_configured_rows_remain
from tickets.services.removal import team_delete

pytestmark = parallel_on_postgresql("real row locks and parallel connections")

T = TypeVar("T")


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
    `holding`, and go on once the deletion waits for a lock (or, if it waited for none, has finished: `done`). The
    lock is the first the thread takes, by whichever service takes it (a triage edit, a macro, a bulk edit)."""
    from tickets.services import common, triage

    pausing: list[int] = []

    def pause() -> None:
        holding.set()
        wait_until(lambda: done.is_set() or someone_waits_for_a_lock(), timeout=10, what="the deletion waiting")

    def pausing_at(lock: Callable[[T], Ticket | None]) -> Callable[[T], Ticket | None]:
        def lock_pausing(ticket: T) -> Ticket | None:
            if threading.get_ident() not in pausing:
                return lock(ticket)
            pausing.clear()  # once: the deletion's own edits, and any later one, go straight through
            if not after:
                pause()
            locked = lock(ticket)
            if after:
                pause()
            return locked

        return lock_pausing

    monkeypatch.setattr(triage, "lock_ticket", pausing_at(triage.lock_ticket))
    monkeypatch.setattr(common, "_ticket_locked", pausing_at(common._ticket_locked))
    return pausing


def _admin_deletes_selected(
    admin: Client, changelist: str, pks: list[int], *, holding: threading.Event, done: threading.Event
) -> Callable[[], HttpResponse]:
    """The admin's "Delete selected" of these rows on this list, sent once the edit holds what it pauses at."""

    def deletes() -> HttpResponse:
        assert holding.wait(timeout=10)
        form = {"action": "delete_selected", "post": "yes", ACTION_CHECKBOX_NAME: pks}
        try:
            return admin.post(reverse(changelist), form)
        finally:
            done.set()

    return deletes


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

    admin_deletes_both = _admin_deletes_selected(
        admin, "admin:tickets_team_changelist", [higher.pk, lower.pk], holding=holding, done=done
    )

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


# --- an agent taking a ticket ("Assign to me") while "Delete selected" deletes their account and its assignee's -----


def test_a_ticket_taken_while_its_assignee_and_the_taker_are_deleted_together_is_taken_and_then_unassigned(
    monkeypatch, client_for, bob, carol, ticket
):
    """The take held the ticket and then waited for its taker's account, which the deletion held while it waited for
    the ticket (its assignee's): PostgreSQL ended one of the two (a 503). The take now keeps the account before it
    locks the ticket: the deletion waits for it, then finds the ticket taken, and unassigns it."""
    dave = user_create(email="dave@example.com", password="x" * 12, name="Dave Agent", role=Role.AGENT)
    Ticket.objects.filter(pk=ticket.pk).update(assignee=dave)
    admin, agent = client_for(carol), client_for(bob)
    holding, done = threading.Event(), threading.Event()
    pausing = _edit_pausing_at_the_ticket_lock(monkeypatch, after=True, holding=holding, done=done)

    def agent_takes_the_ticket() -> HttpResponse:
        pausing.append(threading.get_ident())
        return agent.post(reverse("staff_ticket_assign_me", args=[ticket.pk]), {"shown_assignee": dave.pk})

    admin_deletes_both = _admin_deletes_selected(
        admin, "admin:accounts_user_changelist", [dave.pk, bob.pk], holding=holding, done=done
    )

    take, deletion = run_together([agent_takes_the_ticket, admin_deletes_both])

    assert (take.status_code, deletion.status_code) == (302, 302)
    assert not User.objects.filter(pk__in=[bob.pk, dave.pk]).exists()
    ticket.refresh_from_db()
    assert ticket.assignee is None
    moves = TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.ASSIGNEE).order_by("id")
    assert [(event.old_value, event.new_value) for event in moves] == [("Dave Agent", "Bob Agent"), ("Bob Agent", "")]


# --- a ticket retagged from one of two tags to the other while "Delete selected" deletes both ----------------------


@pytest.mark.parametrize(
    ("to_lower", "moves"),
    [
        # The retag held the ticket and then waited for the lower tag (its new tag's row, checked by the join row's
        # foreign key), which the deletion held while it waited for the ticket (a ticket of the higher tag):
        # PostgreSQL ended one of the two (a 503). The retag now keeps its tags before it locks the ticket.
        pytest.param(True, [("zulu", "alpha"), ("alpha", "")], id="to-the-lower"),
        # Kept before the ticket's lock, the higher tag would be waited for by a deletion that held the ticket (one of
        # the lower tag's) while the retag waited for it: "Delete selected" locks both tags before it touches a ticket.
        pytest.param(False, [("alpha", "zulu"), ("zulu", "")], id="to-the-higher"),
    ],
)
def test_a_ticket_retagged_to_one_of_two_tags_deleted_together_is_retagged_and_then_loses_it_without_a_deadlock(
    monkeypatch, client_for, api_client_for, bob, carol, ticket, to_lower, moves
):
    lower, higher = Tag.objects.create(name="alpha"), Tag.objects.create(name="zulu")
    start, goal = (higher, lower) if to_lower else (lower, higher)
    ticket.tags.set([start])
    admin, agent = client_for(carol), api_client_for(bob)
    holding, done = threading.Event(), threading.Event()
    pausing = _edit_pausing_at_the_ticket_lock(monkeypatch, after=to_lower, holding=holding, done=done)

    def agent_retags_the_ticket() -> HttpResponse:
        pausing.append(threading.get_ident())
        return agent.patch(f"/api/v1/tickets/{ticket.pk}/", {"tags": [goal.name]}, format="json")

    admin_deletes_both = _admin_deletes_selected(
        admin, "admin:tickets_tag_changelist", [higher.pk, lower.pk], holding=holding, done=done
    )

    edit, deletion = run_together([agent_retags_the_ticket, admin_deletes_both])

    assert (edit.status_code, deletion.status_code) == (200, 302)
    assert not Tag.objects.exists()
    retags = TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.TAGS).order_by("id")
    assert [(event.old_value, event.new_value) for event in retags] == moves


# --- a ticket's figures computed while it moves to a team being deleted ---------------------------------------------


def test_figures_of_a_ticket_moved_after_their_read_keep_its_new_team_so_deleting_it_cannot_deadlock_them(
    monkeypatch, carol, ticket
):
    """The figures keep the team the ticket named when read; the ticket moves to another team before they lock it,
    and that team's deletion waits for the ticket while they hold it. Their row naming the new team, checked at their
    commit, waited for the deletion: PostgreSQL ended one of the two. Now they find the ticket names a team they did
    not keep, let it go (rolled back to a savepoint), keep that team (waiting for its deletion), and lock it again."""
    from tickets.services import common

    other = Team.objects.create(name="Sales")
    keep, locked = common.keep_rows_the_ticket_names, common._ticket_locked
    figures: list[int] = []
    holding, done = threading.Event(), threading.Event()

    def ticket_moved() -> None:
        try:
            Ticket.objects.filter(pk=ticket.pk).update(team=other)
        finally:
            connection.close()

    def keep_then_the_ticket_moves(ticket_id: int, **also: object) -> tuple[set, set]:
        kept = keep(ticket_id, **also)
        if threading.get_ident() in figures and not holding.is_set():  # once, between the first read and lock
            mover = threading.Thread(target=ticket_moved)
            mover.start()
            mover.join(timeout=10)
        return kept

    def locked_then_the_deletion_waits(ticket_id: int) -> Ticket | None:
        found = locked(ticket_id)
        if threading.get_ident() in figures and not holding.is_set():
            holding.set()
            wait_until(lambda: done.is_set() or someone_waits_for_a_lock(), timeout=10, what="the deletion waiting")
        return found

    monkeypatch.setattr(common, "keep_rows_the_ticket_names", keep_then_the_ticket_moves)
    monkeypatch.setattr(common, "_ticket_locked", locked_then_the_deletion_waits)

    def figures_computed() -> None:
        figures.append(threading.get_ident())
        ticket_metrics_update(ticket_id=ticket.pk)

    def admin_deletes_the_other_team() -> None:
        assert holding.wait(timeout=10)
        try:
            team_delete(team=other, actor=carol)
        finally:
            done.set()

    run_together([figures_computed, admin_deletes_the_other_team])

    assert not Team.objects.filter(pk=other.pk).exists()
    ticket.refresh_from_db()
    assert ticket.team is None
    assert TicketMetrics.objects.get(ticket=ticket).team is None


# --- an SLA escalation mailed to a ticket's assignee while "Delete selected" deletes the assignee's account ---------


def test_an_escalation_mailed_to_the_assignee_being_deleted_is_sent_and_then_the_account_goes_without_a_deadlock(
    monkeypatch, client_for, carol, ticket
):
    """The sweep held the ticket (with the notice) and then, its mail's row naming the assignee checked at its commit,
    waited for the account, which the deletion held while it waited for the ticket to unassign it: PostgreSQL ended
    one of the two. The sweep now keeps what the ticket names before it locks it: the deletion waits for the mail."""
    from sla import notifications

    dave = user_create(email="dave@example.com", password="x" * 12, name="Dave Agent", role=Role.AGENT)
    Ticket.objects.filter(pk=ticket.pk).update(assignee=dave)
    now = timezone.now()
    clock = SlaClock.objects.create(
        ticket=ticket, metric=Metric.FIRST_RESPONSE, started_at=now, counted_until=now, due_at=now
    )
    notice = EscalationNotice.objects.create(clock=clock, kind=EscalationKind.BREACHED, send_after=now)
    mail_escalation = notifications.mail_escalation
    holding, done = threading.Event(), threading.Event()

    def mail_escalation_pausing(*, notice: EscalationNotice) -> None:
        holding.set()
        wait_until(lambda: done.is_set() or someone_waits_for_a_lock(), timeout=10, what="the deletion waiting")
        mail_escalation(notice=notice)

    monkeypatch.setattr(notifications, "mail_escalation", mail_escalation_pausing)

    def sweep_sends_the_notice() -> int:
        return sla_notices_send(now=now)

    admin_deletes_dave = _admin_deletes_selected(
        client_for(carol), "admin:accounts_user_changelist", [dave.pk], holding=holding, done=done
    )

    sent, deletion = run_together([sweep_sends_the_notice, admin_deletes_dave])

    assert (sent, deletion.status_code) == (1, 302)
    assert not User.objects.filter(pk=dave.pk).exists()
    ticket.refresh_from_db()
    assert ticket.assignee is None
    notice.refresh_from_db()
    assert notice.sent_at == now
    assert Notification.objects.filter(key=f"sla-notice:{notice.pk}", address=dave.email).exists()


# --- a rule mailing a ticket's assignee while "Delete selected" deletes the assignee's account ----------------------


def test_a_rule_mailing_the_assignee_being_deleted_fires_and_then_the_account_goes_without_a_deadlock(
    monkeypatch, client_for, carol, ticket
):
    """The rule held the ticket and then, its mail's row naming the assignee checked at its commit, waited for the
    account, which the deletion held while it waited for the ticket to unassign it: PostgreSQL ended one of the two.
    A rule now keeps what the ticket names before it locks it: the deletion waits for the rule."""
    from automations import notifications

    dave = user_create(email="dave@example.com", password="x" * 12, name="Dave Agent", role=Role.AGENT)
    Ticket.objects.filter(pk=ticket.pk).update(assignee=dave)
    Rule.objects.create(
        name="Nudge",
        trigger=Trigger.TIME,
        after_minutes=0,
        time_base=TimeBase.CREATED,
        notify=NotifyWho.ASSIGNEE,
        notification_body="Still open.",
    )
    mail_rule_notification = notifications.mail_rule_notification
    holding, done = threading.Event(), threading.Event()

    def mail_rule_notification_pausing(**kwargs: object) -> None:
        holding.set()
        wait_until(lambda: done.is_set() or someone_waits_for_a_lock(), timeout=10, what="the deletion waiting")
        mail_rule_notification(**kwargs)

    monkeypatch.setattr(notifications, "mail_rule_notification", mail_rule_notification_pausing)

    def time_rules_fire() -> int:
        return time_rules_run(now=timezone.now())

    admin_deletes_dave = _admin_deletes_selected(
        client_for(carol), "admin:accounts_user_changelist", [dave.pk], holding=holding, done=done
    )

    fired, deletion = run_together([time_rules_fire, admin_deletes_dave])

    assert (fired, deletion.status_code) == (1, 302)
    assert not User.objects.filter(pk=dave.pk).exists()
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert Notification.objects.filter(kind=NotificationKind.AUTOMATION, address=dave.email).exists()


# --- an agent editing their own ticket while "Delete selected" deletes their account ----------------------------------


def test_an_agent_editing_their_ticket_while_their_account_is_deleted_edits_it_and_then_the_account_goes(
    monkeypatch, client_for, api_client_for, carol, ticket
):
    """The edit held the ticket and then, its audit entry naming its actor checked at its commit, waited for the
    agent's account, which the deletion held while it waited for the ticket (its assignee's): PostgreSQL ended one of
    the two (a 503). The edit now keeps its actor, with what the ticket names, before it locks the ticket: the
    deletion waits for the edit, then unassigns the ticket."""
    dave = user_create(email="dave@example.com", password="x" * 12, name="Dave Agent", role=Role.AGENT)
    Ticket.objects.filter(pk=ticket.pk).update(assignee=dave)
    agent = api_client_for(dave)
    holding, done = threading.Event(), threading.Event()
    pausing = _edit_pausing_at_the_ticket_lock(monkeypatch, after=True, holding=holding, done=done)

    def dave_raises_the_priority() -> HttpResponse:
        pausing.append(threading.get_ident())
        return agent.patch(f"/api/v1/tickets/{ticket.pk}/", {"priority": "high"}, format="json")

    admin_deletes_dave = _admin_deletes_selected(
        client_for(carol), "admin:accounts_user_changelist", [dave.pk], holding=holding, done=done
    )

    edit, deletion = run_together([dave_raises_the_priority, admin_deletes_dave])

    assert (edit.status_code, deletion.status_code) == (200, 302)
    assert not User.objects.filter(pk=dave.pk).exists()
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.assignee) == (30, None)
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.PRIORITY, actor=None).exists()


# --- a bulk edit assigning a ticket to an agent while "Delete selected" deletes that agent and its assignee ---------


def test_a_bulk_edit_assigning_an_agent_deleted_with_the_tickets_assignee_assigns_and_then_unassigns_them(
    monkeypatch, client_for, bob, carol, ticket
):
    """The bulk edit locks each ticket before it edits it, and kept the agent it assigns only then (in the edit):
    it held the ticket and waited for Dave, whom the deletion held (deleted) while it waited for the ticket (Erin's).
    PostgreSQL ended one of the two. It now keeps the rows it asks for, with the ticket's own, before its lock."""
    dave = user_create(email="dave@example.com", password="x" * 12, name="Dave Agent", role=Role.AGENT)
    erin = user_create(email="erin@example.com", password="x" * 12, name="Erin Agent", role=Role.AGENT)
    Ticket.objects.filter(pk=ticket.pk).update(assignee=erin)
    holding, done = threading.Event(), threading.Event()
    pausing = _edit_pausing_at_the_ticket_lock(monkeypatch, after=True, holding=holding, done=done)

    def bob_assigns_to_dave() -> BulkOutcome:
        pausing.append(threading.get_ident())
        return tickets_bulk_update(ticket_ids=[ticket.pk], actor=bob, changes=BulkChanges(assignee=dave))

    admin_deletes_both = _admin_deletes_selected(
        client_for(carol), "admin:accounts_user_changelist", [erin.pk, dave.pk], holding=holding, done=done
    )

    outcome, deletion = run_together([bob_assigns_to_dave, admin_deletes_both])

    assert (outcome.changed, deletion.status_code) == ([ticket.pk], 302)
    assert not User.objects.filter(pk__in=[dave.pk, erin.pk]).exists()
    ticket.refresh_from_db()
    assert ticket.assignee is None
    moves = TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.ASSIGNEE).order_by("id")
    assert [(event.old_value, event.new_value) for event in moves] == [("Erin Agent", "Dave Agent"), ("Dave Agent", "")]
