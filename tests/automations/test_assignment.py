"""Round-robin and least-open assignment among the team's agents who are not away."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.services import user_update
from automations.models import AssignMode, Availability, Outcome, Trigger
from automations.services import agent_set_away
from helpdesk.errors import AccountGone
from tickets.models import Priority
from tickets.services import TicketChanges, ticket_create, ticket_update
from tickets.services.removal import user_delete


def _open_tickets(alice, category, count, capture):
    tickets = []
    for number in range(count):
        with capture(execute=True):
            tickets.append(ticket_create(requester=alice, subject=f"Question {number}", category=category))
    return [ticket.__class__.objects.get(pk=ticket.pk).assignee for ticket in tickets]


def test_round_robin_takes_turns_and_skips_agents_who_are_away(
    alice, bob, dave, erin, support, category, make_rule, client_for, django_capture_on_commit_callbacks
):
    make_rule(trigger=Trigger.TICKET_CREATED, assign=AssignMode.ROUND_ROBIN)
    assert _open_tickets(alice, category, 4, django_capture_on_commit_callbacks) == [bob, dave, erin, bob]

    assert client_for(dave).post(reverse("agent_away"), {"away": "yes"}).status_code == 302
    assert Availability.objects.get(user=dave).is_away
    assert _open_tickets(alice, category, 3, django_capture_on_commit_callbacks) == [erin, bob, erin]


def test_least_open_gives_the_ticket_to_whoever_has_fewest(
    alice, bob, dave, erin, support, category, make_rule, django_capture_on_commit_callbacks
):
    for _ in range(2):
        ticket_create(requester=alice, actor=bob, subject="Bob's", category=category, assignee=bob)
    ticket_create(requester=alice, actor=bob, subject="Erin's", category=category, assignee=erin)
    make_rule(trigger=Trigger.TICKET_CREATED, assign=AssignMode.LEAST_OPEN)
    assert _open_tickets(alice, category, 3, django_capture_on_commit_callbacks) == [dave, dave, erin]


def test_nobody_available_leaves_the_ticket_unassigned_and_says_so(
    alice, bob, support, dave, erin, category, make_rule, django_capture_on_commit_callbacks
):
    for agent in (bob, dave, erin):
        Availability.objects.create(user=agent, is_away=True)
    rule = make_rule(trigger=Trigger.TICKET_CREATED, assign=AssignMode.ROUND_ROBIN)
    assert _open_tickets(alice, category, 1, django_capture_on_commit_callbacks) == [None]
    run = rule.runs.get()
    assert run.outcome == Outcome.NO_CHANGE
    assert run.reason == "Nobody to assign: no agent of Support is available (all away, or none active)."


def test_the_away_page_is_for_staff_only(mallory, client_for):
    assert client_for(mallory).post(reverse("agent_away"), {"away": "yes"}).status_code in (403, 404)
    assert not Availability.objects.exists()


def test_a_rule_assigning_to_an_agent_who_was_deleted_does_not_unassign_tickets(
    alice, bob, dave, category, make_rule, django_capture_on_commit_callbacks
):
    make_rule(
        name="High to Dave",
        trigger=Trigger.TICKET_UPDATED,
        conditions={"priority": "high"},
        assign=AssignMode.AGENT,
        assign_to=dave,
    )
    dave.delete()  # Dave left; the rule stays (assign_to is SET_NULL)
    ticket = ticket_create(requester=alice, actor=bob, subject="Invoice", category=category, assignee=bob)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(priority=Priority.HIGH))
    ticket.refresh_from_db()
    assert ticket.assignee == bob  # not silently unassigned ("assignee → None")


def test_a_rule_assigning_to_an_agent_who_was_deleted_fails_in_its_run_log_and_the_rules_after_it_run(
    alice, bob, dave, category, make_rule, django_capture_on_commit_callbacks
):
    to_dave = make_rule(
        name="High to Dave", trigger=Trigger.TICKET_UPDATED, assign=AssignMode.AGENT, assign_to=dave, add_tags="dave"
    )
    after = make_rule(name="Tag high", position=1, trigger=Trigger.TICKET_UPDATED, add_tags="high")
    dave.delete()
    ticket = ticket_create(requester=alice, actor=bob, subject="Invoice", category=category, assignee=bob)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(priority=Priority.HIGH))

    reason = "The agent it assigns to no longer exists: choose another."
    assert set(to_dave.runs.values_list("outcome", "reason")) == {(Outcome.FAILED, reason)}
    assert list(ticket.tags.values_list("name", flat=True)) == ["high"]  # none of its actions, the next rule's
    assert after.runs.filter(outcome=Outcome.FIRED).exists()


def test_a_rule_assigning_to_an_agent_since_deactivated_names_them_in_its_run_log(
    alice, bob, dave, category, make_rule, django_capture_on_commit_callbacks
):
    to_dave = make_rule(name="High to Dave", trigger=Trigger.TICKET_UPDATED, assign=AssignMode.AGENT, assign_to=dave)
    user_update(user=dave, is_active=False)
    ticket = ticket_create(requester=alice, actor=bob, subject="Invoice", category=category, assignee=bob)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(priority=Priority.HIGH))

    run = to_dave.runs.get()
    assert run.outcome == Outcome.FAILED
    assert run.reason == "Dave Agent, whom it assigns to, is deactivated or no longer an agent: choose another."
    ticket.refresh_from_db()
    assert ticket.assignee == bob


@pytest.mark.django_db(transaction=True)
def test_an_agent_deleted_while_marking_themselves_away_is_refused_and_nothing_is_saved(dave, carol):
    """The deletion committed while the request (authenticated before it) was on its way: the Availability row named
    an account gone, and the commit failed on its foreign key (a 500)."""
    seen_before_the_deletion = User.objects.get(pk=dave.pk)
    user_delete(user=dave, actor=carol)

    with pytest.raises(AccountGone, match="Your account no longer exists"):
        agent_set_away(user=seen_before_the_deletion, away=True)

    assert not Availability.objects.exists()
