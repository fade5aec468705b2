"""Concurrent edits on PostgreSQL: the row lock makes them take turns, so nothing is lost and the workflow holds.

Real parallel connections (one per thread) against a real database: SQLite takes one writer at a time for the
whole file and cannot show this, so these tests run only when DATABASE_URL points at PostgreSQL.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Callable

import pytest
from django.db import transaction
from django.urls import reverse

from accounts.models import Role, User
from accounts.services import user_create
from automations.models import Rule
from automations.services import rule_save
from events.models import Event, EventKind
from helpdesk.errors import AccountGone, InvalidTransition, InvalidValue
from inbound.models import Mailbox
from macros.models import Macro, MacroVisibility
from macros.services import macro_apply, macro_update
from sla.admin import TeamCalendarForm
from sla.models import BusinessCalendar, SlaPolicy, TeamCalendar
from tests.sla.conftest import calendar_form, team_link_errors
from tests.support.api import assert_error_body
from tests.support.servers import wait_until
from tests.support.threads import parallel_on_postgresql, run_together, someone_waits_for_a_lock
from tickets.etags import ticket_etag
from tickets.models import Category, Comment, Priority, Status, Team, Ticket, TicketEvent, TicketEventKind
from tickets.services import TicketChanges, comment_create, ticket_change_status, ticket_edit_content, ticket_update
from tickets.services.common import ensure_configured_rows_remain
from tickets.services.removal import category_delete, team_delete, user_delete
from tickets.workflow import is_allowed_transition

pytestmark = parallel_on_postgresql("real row locks and parallel connections")

THREADS = 8
ROUNDS = 25


def test_concurrent_status_and_priority_changes_lose_nothing_and_follow_the_workflow(bob, carol, ticket):
    def agent_at_work(seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 -- a reproducible mix of edits, not a secret
        actor = (bob, carol)[seed % 2]
        for _ in range(ROUNDS):
            try:
                if rng.random() < 0.7:
                    ticket_change_status(ticket=ticket, actor=actor, status=rng.choice(Status.values))
                else:
                    changes = TicketChanges(priority=rng.choice(Priority.values))
                    ticket_update(ticket=ticket, actor=actor, changes=changes)
            except InvalidTransition:
                pass  # the move was not allowed from the status the ticket had by then; nothing was written

    run_together([lambda seed=seed: agent_at_work(seed) for seed in range(THREADS)])

    ticket.refresh_from_db()
    status_events = list(TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.STATUS).order_by("id"))
    assert len(status_events) > THREADS  # the agents really did race; the test would prove nothing otherwise
    current = Status.NEW
    for event in status_events:
        # Each change starts from the status the previous one left: no change was made from a stale read.
        assert event.old_value == current, f"event {event.pk} started from {event.old_value}, not {current}"
        assert is_allowed_transition(event.old_value, event.new_value)
        current = event.new_value
    assert ticket.status == current  # and the last recorded change is what the ticket holds

    priority_events = TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.PRIORITY).order_by("id")
    previous = Priority(Priority.NORMAL).label
    for event in priority_events:
        assert event.old_value == previous and event.new_value != previous
        previous = event.new_value
    assert ticket.priority_name == previous


def test_two_agents_patching_from_the_same_read_one_wins_and_the_other_gets_412(api_client_for, bob, carol, ticket):
    url = f"/api/v1/tickets/{ticket.pk}/"
    clients = {"bob": api_client_for(bob), "carol": api_client_for(carol)}
    for attempt in range(5):
        etag = clients["bob"].get(url)["ETag"]

        def patch(name: str, etag: str = etag, attempt: int = attempt) -> int:
            body = {"tags": [f"{name}-{attempt}"]}
            return clients[name].patch(url, body, format="json", HTTP_IF_MATCH=etag).status_code

        statuses = run_together([lambda: patch("bob"), lambda: patch("carol")])

        assert sorted(statuses) == [200, 412]
        winner = "bob" if statuses[0] == 200 else "carol"
        assert list(Ticket.objects.get(pk=ticket.pk).tags.values_list("name", flat=True)) == [f"{winner}-{attempt}"]


def test_a_reply_form_posted_twice_at_once_is_sent_once(client_for, bob, ticket):
    """A double click: both posts arrive together, the second looks only once the first has committed."""
    url = reverse("staff_ticket_reply", args=[ticket.pk])
    page = client_for(bob).get(reverse("staff_ticket_detail", args=[ticket.pk])).content.decode()
    seen = re.search(r'name="seen_comment" value="(\d+)"', page).group(1)
    form = {"mode": "reply", "body": "We refunded the second charge.", "seen_comment": seen}
    browsers = [client_for(bob), client_for(bob)]

    run_together([lambda browser=browser: browser.post(url, form) for browser in browsers])

    assert Comment.objects.filter(ticket=ticket, body="We refunded the second charge.").count() == 1


def test_a_new_ticket_form_posted_twice_at_once_opens_one_ticket(client_for, alice, bob):
    """A double click on "Open ticket": the second post waits for the first and is taken to its ticket."""
    url = reverse("staff_ticket_new")
    page = client_for(bob).get(url).content.decode()
    token = re.search(r'name="submit_token" value="([^"]+)"', page).group(1)
    form = {"requester_email": alice.email, "subject": "Phoned in", "priority": 20, "submit_token": token}
    browsers = [client_for(bob), client_for(bob)]

    responses = run_together([lambda browser=browser: browser.post(url, form) for browser in browsers])

    ticket = Ticket.objects.get(subject="Phoned in")
    assert [response.url for response in responses] == [reverse("staff_ticket_detail", args=[ticket.pk])] * 2


def test_two_agents_taking_the_same_ticket_at_once_the_second_is_told_who_has_it(client_for, bob, carol, ticket):
    url = reverse("staff_ticket_assign_me", args=[ticket.pk])
    browsers = {"Bob Agent": client_for(bob), "Carol Admin": client_for(carol)}

    run_together([lambda browser=browser: browser.post(url, {"shown_assignee": ""}) for browser in browsers.values()])

    taken_by = Ticket.objects.get(pk=ticket.pk).assignee.display_name
    told = {
        name: browser.get(reverse("staff_ticket_detail", args=[ticket.pk])).content.decode()
        for name, browser in browsers.items()
    }
    loser = next(name for name in browsers if name != taken_by)
    assert "Assigned to you." in told[taken_by]
    assert f"{taken_by} took this ticket meanwhile." in told[loser]
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.ASSIGNEE).count() == 1


def _admin_deleting(delete: Callable[[], None]) -> tuple[threading.Event, Callable[[], None]]:
    """The admin's deletion, which keeps the deleted row locked (uncommitted) until the edit is seen waiting for it,
    and the event set once it holds that lock."""
    deleting = threading.Event()

    def admin_deletes() -> None:
        with transaction.atomic():
            delete()
            deleting.set()
            wait_until(someone_waits_for_a_lock, timeout=10, what="the edit waiting for the deleted row's lock")

    return deleting, admin_deletes


def test_a_patch_naming_a_team_deleted_meanwhile_is_refused_and_changes_nothing(api_client_for, bob, carol, ticket):
    escalations = Team.objects.create(name="Escalations")
    client = api_client_for(bob)

    def agent_patches() -> object:
        assert deleting.wait(timeout=10)
        body = {"team": escalations.pk, "priority": "high"}
        return client.patch(f"/api/v1/tickets/{ticket.pk}/", body, format="json")

    deleting, admin_deletes = _admin_deleting(lambda: team_delete(team=escalations, actor=carol))
    _, response = run_together([admin_deletes, agent_patches])

    error = assert_error_body(response, 400, "invalid")
    assert error["details"] == {"team": ["This team no longer exists."]}
    ticket.refresh_from_db()
    assert (ticket.team.name, ticket.priority) == ("Support", Priority.NORMAL)  # nothing of the edit applied
    assert not Team.objects.filter(name="Escalations").exists()


def test_the_triage_form_assigning_an_agent_deleted_meanwhile_says_so_and_changes_nothing(
    client_for, bob, carol, ticket
):
    dave = user_create(email="dave@example.com", name="Dave Agent", password="x", role=Role.AGENT)
    browser = client_for(bob)
    form = {
        "status": ticket.status,
        "priority": Priority.HIGH,
        "assignee": dave.pk,
        "team": ticket.team_id,
        "category": ticket.category_id,
        "tags": "",
        "version": ticket_etag(ticket),
    }

    def agent_saves() -> object:
        assert deleting.wait(timeout=10)
        return browser.post(reverse("staff_ticket_update", args=[ticket.pk]), form)

    deleting, admin_deletes = _admin_deleting(lambda: user_delete(user=dave, actor=carol))
    _, response = run_together([admin_deletes, agent_saves])

    assert response.status_code == 200
    page = response.content.decode()
    assert "The ticket was not updated." in page and "This agent no longer exists." in page
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.priority) == (None, Priority.NORMAL)
    assert not TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.ASSIGNEE).exists()


def test_a_new_ticket_naming_a_team_deleted_meanwhile_is_refused_and_nothing_is_opened(api_client_for, bob, carol):
    escalations = Team.objects.create(name="Escalations")
    client = api_client_for(bob)

    def agent_opens() -> object:
        assert deleting.wait(timeout=10)
        body = {"subject": "Refund", "description": "Twice charged.", "team": escalations.pk}
        return client.post("/api/v1/tickets/", body, format="json")

    deleting, admin_deletes = _admin_deleting(lambda: team_delete(team=escalations, actor=carol))
    _, response = run_together([admin_deletes, agent_opens])

    error = assert_error_body(response, 400, "invalid")
    assert error["details"] == {"team": ["This team no longer exists."]}
    assert not Ticket.objects.filter(subject="Refund").exists()


def test_a_category_given_to_a_ticket_while_it_is_deleted_keeps_it_and_the_deletion_is_refused(bob, carol, ticket):
    """The edit holds the category (FOR KEY SHARE) until it commits: the deletion waits for it, then sees the ticket
    that protects the category and refuses, where a plain delete failed at commit on the foreign key (a 500)."""
    refunds = Category.objects.create(name="Refunds", slug="refunds")
    editing = threading.Event()

    def agent_edits() -> None:
        with transaction.atomic():
            ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(category=refunds))
            editing.set()
            wait_until(someone_waits_for_a_lock, timeout=10, what="the deletion waiting for the category's lock")

    def admin_deletes() -> InvalidValue:
        assert editing.wait(timeout=10)
        try:
            category_delete(category=refunds, actor=carol)
        except InvalidValue as refused:
            return refused
        raise AssertionError("the category was deleted")

    _, refusal = run_together([agent_edits, admin_deletes])

    assert (refusal.message, refusal.details) == (
        "The category “Refunds” was not deleted.",
        {"deletion": ["1 ticket still has it."]},
    )
    ticket.refresh_from_db()
    assert ticket.category == refunds


# --- configuration saved naming a row while an admin deletes it ------------------------------------------------


def _rule_admin_form(**fields: object) -> dict[str, object]:
    form = {"name": "Escalate", "is_active": "on", "trigger": "ticket_created", "position": 0, "conditions": "{}"}
    return {**form, **fields}


def test_a_rule_saved_in_the_admin_setting_a_team_deleted_meanwhile_says_so_and_saves_nothing(client_for, carol):
    """The save reads the team FOR KEY SHARE before writing: it waits for the deletion, then finds the team gone (a
    form error), where the foreign key's check at its commit used to fail with a 500."""
    escalations = Team.objects.create(name="Escalations")
    browser = client_for(carol)

    def admin_saves_rule() -> object:
        assert deleting.wait(timeout=10)
        return browser.post(reverse("admin:automations_rule_add"), _rule_admin_form(set_team=escalations.pk))

    deleting, admin_deletes = _admin_deleting(lambda: team_delete(team=escalations, actor=carol))
    _, response = run_together([admin_deletes, admin_saves_rule])

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"set_team": ["This team no longer exists."]}
    assert not Rule.objects.exists()


def test_a_rule_created_through_the_api_with_a_condition_on_a_team_deleted_meanwhile_is_refused(api_client_for, carol):
    """A condition names its team by id only, in JSON: no foreign key would stop it, and the rule matched no ticket."""
    escalations = Team.objects.create(name="Escalations")
    client = api_client_for(carol)

    def admin_posts_rule() -> object:
        assert deleting.wait(timeout=10)
        body = {"name": "Escalate", "trigger": "ticket_created", "conditions": {"team": str(escalations.pk)}}
        return client.post("/api/v1/automation/rules/", body, format="json")

    deleting, admin_deletes = _admin_deleting(lambda: team_delete(team=escalations, actor=carol))
    _, response = run_together([admin_deletes, admin_posts_rule])

    error = assert_error_body(response, 400, "invalid")
    assert error["details"] == {"conditions": ["The team its condition “team” names no longer exists."]}
    assert not Rule.objects.exists()


def test_a_rule_whose_condition_names_a_team_while_it_is_deleted_keeps_it_and_the_deletion_is_refused(carol):
    """The other order: the save holds the team until it commits, the deletion waits and then sees the rule."""
    escalations = Team.objects.create(name="Escalations")
    saving = threading.Event()

    def admin_saves_rule() -> None:
        with transaction.atomic():
            rule_save(rule=Rule(name="Escalate", trigger="ticket_created", conditions={"team": str(escalations.pk)}))
            saving.set()
            wait_until(someone_waits_for_a_lock, timeout=10, what="the deletion waiting for the team's lock")

    def admin_deletes() -> InvalidValue:
        assert saving.wait(timeout=10)
        try:
            team_delete(team=escalations, actor=carol)
        except InvalidValue as refused:
            return refused
        raise AssertionError("the team was deleted")

    _, refusal = run_together([admin_saves_rule, admin_deletes])

    assert refusal.details == {
        "deletion": ["Automation rule “Escalate” has a condition on the team “Escalations”: change or delete it first."]
    }
    assert Team.objects.filter(pk=escalations.pk).exists()


def test_a_macro_shared_through_the_api_while_its_owner_is_deleted_is_refused_and_nothing_is_recreated(
    api_client_for, carol
):
    """The deletion took the agent's personal macros with it; sharing one meanwhile used to write it back (an update
    finding no row inserts) and fail on the owner's foreign key at commit, a 500."""
    dave = user_create(email="dave@example.com", name="Dave Agent", password="x", role=Role.AGENT)
    notes = Macro.objects.create(name="Notes", body="Mine.", owner=dave, visibility=MacroVisibility.PERSONAL)
    client = api_client_for(carol)

    def admin_shares_macro() -> object:
        assert deleting.wait(timeout=10)
        return client.patch(f"/api/v1/macros/{notes.pk}/", {"visibility": "everyone"}, format="json")

    deleting, admin_deletes = _admin_deleting(lambda: user_delete(user=dave, actor=carol))
    _, response = run_together([admin_deletes, admin_shares_macro])

    error = assert_error_body(response, 400, "invalid")
    assert (error["message"], error["details"]) == (
        "The agent you chose was deleted meanwhile.",
        {"owner": ["This agent no longer exists."]},
    )
    assert not Macro.objects.exists()


def test_an_agent_whose_macro_is_being_shared_is_not_deleted_and_the_macro_stays(carol):
    """The save holds the owner until it commits: the deletion waits, then sees the shared macro and refuses, where
    it used to take the macro with the account unnoticed."""
    dave = user_create(email="dave@example.com", name="Dave Agent", password="x", role=Role.AGENT)
    notes = Macro.objects.create(name="Notes", body="Mine.", owner=dave, visibility=MacroVisibility.PERSONAL)
    sharing = threading.Event()

    def admin_shares_macro() -> None:
        with transaction.atomic():
            macro_update(macro=notes, actor=carol, visibility=MacroVisibility.EVERYONE)
            sharing.set()
            wait_until(someone_waits_for_a_lock, timeout=10, what="the deletion waiting for the owner's lock")

    def admin_deletes() -> InvalidValue:
        assert sharing.wait(timeout=10)
        try:
            user_delete(user=dave, actor=carol)
        except InvalidValue as refused:
            return refused
        raise AssertionError("the agent was deleted")

    _, refusal = run_together([admin_shares_macro, admin_deletes])

    assert refusal.details == {
        "deletion": ["Macro “Notes” (shared) belongs to Dave Agent: give it to someone else or delete it first."]
    }
    assert Macro.objects.get().visibility == MacroVisibility.EVERYONE


def test_a_category_saved_in_the_admin_routing_to_a_team_deleted_meanwhile_says_so_and_saves_nothing(client_for, carol):
    escalations = Team.objects.create(name="Escalations")
    browser = client_for(carol)
    form = {"name": "Refunds", "slug": "refunds", "default_team": escalations.pk, "is_active": "on"}

    def admin_saves_category() -> object:
        assert deleting.wait(timeout=10)
        return browser.post(reverse("admin:tickets_category_add"), form)

    deleting, admin_deletes = _admin_deleting(lambda: team_delete(team=escalations, actor=carol))
    _, response = run_together([admin_deletes, admin_saves_category])

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"default_team": ["This team no longer exists."]}
    assert not Category.objects.filter(slug="refunds").exists()


def test_a_mailbox_saved_in_the_admin_filing_under_a_category_deleted_meanwhile_says_so_and_saves_nothing(
    client_for, carol
):
    refunds = Category.objects.create(name="Refunds", slug="refunds")
    browser = client_for(carol)
    form = {
        "name": "Refunds desk", "address": "refunds@example.com", "is_active": "on", "category": refunds.pk,
        "protocol": "imap", "host": "127.0.0.1", "port": 993, "security": "tls", "username": "refunds",
        "password": "secret", "folder": "INBOX", "processed_folder": "Processed", "after_fetch": "seen",
        "poll_interval_seconds": 60,
    }  # fmt: skip

    def admin_saves_mailbox() -> object:
        assert deleting.wait(timeout=10)
        return browser.post(reverse("admin:inbound_mailbox_add"), form)

    deleting, admin_deletes = _admin_deleting(lambda: category_delete(category=refunds, actor=carol))
    _, response = run_together([admin_deletes, admin_saves_mailbox])

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"category": ["This category no longer exists."]}
    assert not Mailbox.objects.exists()


def _team_linked_while(browser, calendar, team, deletion):
    """The calendar's page posted with a link to `team` while `deletion` runs (it holds its locks first)."""

    def admin_links_team() -> object:
        assert deleting.wait(timeout=10)
        url = reverse("admin:sla_businesscalendar_change", args=[calendar.pk])
        return browser.post(url, calendar_form(calendar, team))

    deleting, admin_deletes = _admin_deleting(deletion)
    _, response = run_together([admin_deletes, admin_links_team])
    return response


def test_a_team_linked_to_a_calendar_in_the_admin_while_it_is_deleted_says_so_and_links_nothing(client_for, carol):
    """The link's foreign key to the team failed at commit, a 500; the save now keeps the team as other
    configuration does, waits for the deletion and finds it gone."""
    escalations = Team.objects.create(name="Escalations")
    night_shift = BusinessCalendar.objects.create(name="Night shift", time_zone="Europe/Berlin")
    response = _team_linked_while(
        client_for(carol), night_shift, escalations, lambda: team_delete(team=escalations, actor=carol)
    )

    assert response.status_code == 200
    assert team_link_errors(response) == [{"team": ["This team no longer exists."]}]
    assert not TeamCalendar.objects.exists()


def test_a_team_linked_on_a_calendars_page_while_the_calendar_is_deleted_says_so_and_does_not_bring_it_back(
    client_for, carol
):
    """The save's update found no row, so Django inserted the calendar again, the deletion undone unnoticed."""
    escalations = Team.objects.create(name="Escalations")
    night_shift = BusinessCalendar.objects.create(name="Night shift", time_zone="Europe/Berlin")
    response = _team_linked_while(
        client_for(carol), night_shift, escalations, lambda: BusinessCalendar.objects.get(pk=night_shift.pk).delete()
    )

    assert response.status_code == 200
    assert team_link_errors(response) == [{"__all__": ["This calendar no longer exists."]}]
    assert "This calendar no longer exists." in response.content.decode()
    assert not BusinessCalendar.objects.filter(pk=night_shift.pk).exists()
    assert not TeamCalendar.objects.exists()


def test_two_teams_linked_on_a_calendars_page_while_both_are_deleted_together_are_refused_without_a_deadlock(
    client_for, carol
):
    """Each link kept its team in turn, in the page's order, where "Delete selected" takes them in id order: the
    page held the second team and waited for the first, which the deletion held while it waited for the second."""
    first = Team.objects.create(name="Escalations")
    second = Team.objects.create(name="Night desk")
    night_shift = BusinessCalendar.objects.create(name="Night shift", time_zone="Europe/Berlin")
    browser = client_for(carol)
    holding_first = threading.Event()

    def admin_deletes_both() -> None:
        with transaction.atomic():  # as "Delete selected" does (helpdesk.admin_support.ServiceDeletionMixin)
            team_delete(team=first, actor=carol)
            holding_first.set()
            wait_until(someone_waits_for_a_lock, timeout=10, what="the page waiting for the first team's lock")
            team_delete(team=second, actor=carol)

    def admin_links_both() -> object:
        assert holding_first.wait(timeout=10)
        url = reverse("admin:sla_businesscalendar_change", args=[night_shift.pk])
        return browser.post(url, calendar_form(night_shift, second, first))

    _, response = run_together([admin_deletes_both, admin_links_both])

    assert response.status_code == 200
    assert team_link_errors(response) == [{"team": ["This team no longer exists."]}] * 2
    assert not Team.objects.filter(pk__in=[first.pk, second.pk]).exists()
    assert not TeamCalendar.objects.exists()


@pytest.mark.parametrize("deletion", ["its page", "delete selected"])
def test_a_calendar_deleted_in_the_admin_while_a_team_is_linked_to_it_goes_with_the_new_link(
    deletion, client_for, carol
):
    """The deletion listed the calendar's links before it waited for the link's save to commit, then deleted the
    calendar from under the new link: its foreign key failed at commit, a 500 for the deleting admin."""
    escalations = Team.objects.create(name="Escalations")
    night_shift = BusinessCalendar.objects.create(name="Night shift", time_zone="Europe/Berlin")
    browser = client_for(carol)
    linking = threading.Event()

    def admin_links_team() -> None:
        with transaction.atomic():  # as the calendar's page saves a link (TeamCalendarInline)
            link = TeamCalendar(team=escalations, calendar=night_shift)
            ensure_configured_rows_remain(link, also=TeamCalendarForm.also_kept)
            link.save()
            linking.set()
            wait_until(someone_waits_for_a_lock, timeout=10, what="the deletion waiting for the calendar's lock")

    def admin_deletes() -> object:
        assert linking.wait(timeout=10)
        if deletion == "its page":
            return browser.post(reverse("admin:sla_businesscalendar_delete", args=[night_shift.pk]), {"post": "yes"})
        form = {"action": "delete_selected", "_selected_action": [night_shift.pk], "post": "yes"}
        return browser.post(reverse("admin:sla_businesscalendar_changelist"), form)

    _, response = run_together([admin_links_team, admin_deletes])

    assert response.status_code == 302
    assert not BusinessCalendar.objects.exists()
    assert not TeamCalendar.objects.exists()
    assert Team.objects.filter(name="Escalations").exists()


def test_a_policy_deleted_while_the_policy_list_is_saved_is_refused_and_not_brought_back(client_for, carol):
    """The list's save of the policy's position waited for the deletion, found no row to update and inserted it
    again: a deleted policy back, without its targets."""
    policy = SlaPolicy.objects.create(name="Standard", position=10)
    browser = client_for(carol)

    def admin_saves_list() -> object:
        assert deleting.wait(timeout=10)
        form = {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "_save": "Save"}
        form |= {"form-0-id": str(policy.pk), "form-0-position": "20", "form-0-is_active": "on"}
        return browser.post(reverse("admin:sla_slapolicy_changelist"), form)

    deleting, admin_deletes = _admin_deleting(lambda: SlaPolicy.objects.filter(pk=policy.pk).delete())
    _, response = run_together([admin_deletes, admin_saves_list])

    assert response.status_code == 200
    assert response.context["cl"].formset.forms[0].non_field_errors() == [
        "The SLA policy “Standard” was deleted meanwhile."
    ]
    assert not SlaPolicy.objects.exists()


def test_a_team_linked_to_two_calendars_at_once_is_refused_on_the_second_page_and_it_saves_nothing(client_for, carol):
    """Both pages found the team free; the second link's insert waited for the first to commit, then failed on the
    team's unique key: a 500."""
    escalations = Team.objects.create(name="Escalations")
    night_shift = BusinessCalendar.objects.create(name="Night shift", time_zone="Europe/Berlin")
    weekend = BusinessCalendar.objects.create(name="Weekend", time_zone="Europe/Berlin")
    browser = client_for(carol)
    linking = threading.Event()

    def admin_links_team_to_weekend() -> None:
        with transaction.atomic():  # as the other calendar's page saves its link, not yet committed
            TeamCalendar.objects.create(team=escalations, calendar=weekend)
            linking.set()
            wait_until(someone_waits_for_a_lock, timeout=10, what="the second link waiting for the team's key")

    def admin_links_team_to_night_shift() -> object:
        assert linking.wait(timeout=10)
        url = reverse("admin:sla_businesscalendar_change", args=[night_shift.pk])
        return browser.post(url, {**calendar_form(night_shift, escalations), "name": "Nights"})

    _, response = run_together([admin_links_team_to_weekend, admin_links_team_to_night_shift])

    assert response.status_code == 200
    assert response.context["adminform"].form["name"].value() == "Nights"  # what was typed, shown again
    # Above the form only: it names the link's team, no field of the calendar's form.
    assert [str(message) for message in response.context["messages"]] == []
    assert response.context["adminform"].form.non_field_errors() == [
        "The team was linked to another calendar meanwhile. "
        "The team “Escalations” already has a business calendar: “Weekend”."
    ]
    assert TeamCalendar.objects.get().calendar == weekend
    assert BusinessCalendar.objects.get(pk=night_shift.pk).name == "Night shift"


def test_two_calendars_named_alike_at_once_in_the_admin_the_second_page_says_so_and_saves_nothing(client_for, carol):
    """Both pages found the name free; the second insert waited for the first to commit, then failed on the name's
    unique key: a 500 (helpdesk.admin_site.SaveConflictsAsMessagesMixin)."""
    browser = client_for(carol)
    naming = threading.Event()

    def other_admin_adds_night_shift() -> None:
        with transaction.atomic():  # as the other admin's add page saves it, not yet committed
            BusinessCalendar.objects.create(name="Night shift", time_zone="Europe/Berlin")
            naming.set()
            wait_until(someone_waits_for_a_lock, timeout=10, what="the second insert waiting for the name's key")

    def admin_adds_night_shift() -> object:
        assert naming.wait(timeout=10)
        form = calendar_form(BusinessCalendar(name="Night shift", time_zone="UTC"))
        return browser.post(reverse("admin:sla_businesscalendar_add"), form)

    _, response = run_together([other_admin_adds_night_shift, admin_adds_night_shift])

    assert response.status_code == 200  # the page again, with what was typed (helpdesk.admin_site.RefusalShownMixin)
    typed = response.context["adminform"].form
    assert (typed["name"].value(), typed["time_zone"].value()) == ("Night shift", "UTC")
    assert [str(message) for message in response.context["messages"]] == [
        "This could not be saved: another change saved meanwhile conflicts with it. Nothing was saved; check the "
        "values and save again. Business calendar with this Name already exists."
    ]
    # Said once next to the name: the page shown again finds the other admin's calendar, committed by then.
    assert typed.errors == {"name": ["Business calendar with this Name already exists."]}
    assert BusinessCalendar.objects.get(name="Night shift").time_zone == "Europe/Berlin"  # the other admin's, intact


# --- a write by an account an admin deletes meanwhile -------------------------------------------------------------


def _dave_assigned(ticket: Ticket) -> User:
    """An agent with nothing that protects the account (no comment, no request): an admin may delete it."""
    dave = user_create(email="dave@example.com", name="Dave Agent", password="x", role=Role.AGENT)
    Ticket.objects.filter(pk=ticket.pk).update(assignee=dave)
    return dave


def test_a_reply_sent_by_an_agent_deleted_meanwhile_is_refused_and_nothing_is_sent(client_for, carol, ticket):
    """The deletion unassigns the agent's ticket first, holding it: the reply waited for it, then wrote a comment
    naming the gone account, and its foreign key failed at commit (a 500)."""
    dave = _dave_assigned(ticket)
    browser = client_for(dave)
    form = {"mode": "reply", "body": "We refunded the second charge."}

    def agent_replies() -> object:
        assert deleting.wait(timeout=10)
        return browser.post(reverse("staff_ticket_reply", args=[ticket.pk]), form)

    deleting, admin_deletes = _admin_deleting(lambda: user_delete(user=dave, actor=carol))
    _, response = run_together([admin_deletes, agent_replies])

    assert response.status_code == 200
    assert "Nothing was sent. Your account no longer exists." in response.content.decode()
    assert not Comment.objects.filter(ticket=ticket).exists()
    assert not User.objects.filter(pk=dave.pk).exists()


def test_a_comment_posted_through_the_api_by_an_account_deleted_meanwhile_is_refused_with_403(
    api_client_for, carol, ticket
):
    """Not the agent's ticket: the comment's insert waited for nothing, and only its foreign key's check at commit
    waited for the deletion, then failed (a 500)."""
    dave = user_create(email="dave@example.com", name="Dave Agent", password="x", role=Role.AGENT)
    client = api_client_for(dave)

    def agent_comments() -> object:
        assert deleting.wait(timeout=10)
        return client.post(f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "On it."}, format="json")

    deleting, admin_deletes = _admin_deleting(lambda: user_delete(user=dave, actor=carol))
    _, response = run_together([admin_deletes, agent_comments])

    error = assert_error_body(response, 403, "permission_denied")
    assert error["message"] == "Your account no longer exists."
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_a_macro_applied_by_an_agent_deleted_meanwhile_is_refused_and_changes_nothing(carol, ticket):
    """A macro without text is a triage edit: its audit entry named the gone account, a 500 at commit."""
    dave = _dave_assigned(ticket)
    urgent = Macro.objects.create(
        name="Urgent", body="", set_priority=Priority.URGENT, owner=carol, visibility=MacroVisibility.EVERYONE
    )

    def agent_applies() -> AccountGone:
        assert deleting.wait(timeout=10)
        try:
            macro_apply(macro=urgent, ticket=ticket, actor=dave)
        except AccountGone as refused:
            return refused
        raise AssertionError("the macro was applied")

    deleting, admin_deletes = _admin_deleting(lambda: user_delete(user=dave, actor=carol))
    _, refusal = run_together([admin_deletes, agent_applies])

    assert refusal.message == "Your account no longer exists."
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.assignee) == (Priority.NORMAL, None)
    assert not TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.PRIORITY).exists()


def test_an_agent_deleted_while_their_reply_is_being_written_is_refused_without_a_deadlock(carol, ticket):
    """The reply held the ticket and checked the account only at commit; the deletion held the account and waited
    for the ticket (to unassign it): PostgreSQL ended one of the two as a deadlock. Now the reply holds the account
    from its start: the deletion waits for it, then finds the reply, which protects the account."""
    dave = _dave_assigned(ticket)
    replying = threading.Event()

    def agent_replies() -> None:
        with transaction.atomic():
            comment_create(ticket=ticket, author=dave, body="We refunded the second charge.")
            replying.set()
            wait_until(someone_waits_for_a_lock, timeout=10, what="the deletion waiting for the account's lock")

    def admin_deletes() -> InvalidValue:
        assert replying.wait(timeout=10)
        try:
            user_delete(user=dave, actor=carol)
        except InvalidValue as refused:
            return refused
        raise AssertionError("the agent was deleted")

    _, refusal = run_together([agent_replies, admin_deletes])

    assert refusal.details == {"deletion": ["1 comment still has it."]}
    assert Comment.objects.get(ticket=ticket).author == dave
    assert Ticket.objects.get(pk=ticket.pk).assignee == dave


def test_an_agent_deleted_while_correcting_a_ticket_is_deleted_once_the_correction_is_saved(carol, ticket):
    """The other order for a write whose rows the deletion may take: it waits for the write, then deletes the
    account, its audit entry kept without it (SET_NULL), where the two used to deadlock."""
    dave = _dave_assigned(ticket)
    correcting = threading.Event()

    def agent_corrects() -> None:
        with transaction.atomic():
            ticket_edit_content(ticket=ticket, actor=dave, subject="Invoice charged twice", description="Twice.")
            correcting.set()
            wait_until(someone_waits_for_a_lock, timeout=10, what="the deletion waiting for the account's lock")

    def admin_deletes() -> None:
        assert correcting.wait(timeout=10)
        user_delete(user=dave, actor=carol)

    run_together([agent_corrects, admin_deletes])

    ticket.refresh_from_db()
    assert (ticket.subject, ticket.assignee) == ("Invoice charged twice", None)
    assert not User.objects.filter(pk=dave.pk).exists()
    assert Event.objects.get(kind=EventKind.TICKET_EDITED, ticket=ticket).actor is None
