"""Concurrent edits on PostgreSQL: the row lock makes them take turns, so nothing is lost and the workflow holds.

Real parallel connections (one per thread) against a real database: SQLite takes one writer at a time for the
whole file and cannot show this, so these tests run only when DATABASE_URL points at PostgreSQL.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Callable

from django.db import transaction
from django.urls import reverse

from accounts.models import Role
from accounts.services import user_create
from helpdesk.errors import InvalidTransition, InvalidValue
from tests.support.api import assert_error_body
from tests.support.servers import wait_until
from tests.support.threads import parallel_on_postgresql, run_together, someone_waits_for_a_lock
from tickets.etags import ticket_etag
from tickets.models import Category, Comment, Priority, Status, Team, Ticket, TicketEvent, TicketEventKind
from tickets.services import TicketChanges, ticket_change_status, ticket_update
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
