"""Trigger rules: conditions in the ticket-filter language, actions through the services, logged either way."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from accounts.models import User
from automations.models import AssignMode, Outcome, Rule, RuleRun, Trigger
from automations.services import NO_ACTIONS
from macros.services import macro_apply, macro_create
from tests.tickets.admin_forms import change_url, form_data
from tickets.models import Priority, Team, TicketEvent
from tickets.services import TicketChanges, comment_create, ticket_create, ticket_merge, ticket_update


def test_a_matching_ticket_gets_the_rules_actions_with_the_rule_named_in_the_audit_trail(
    alice, bob, support, category, make_rule, django_capture_on_commit_callbacks
):
    rule = make_rule(
        name="Urgent billing",
        trigger=Trigger.TICKET_CREATED,
        conditions={"category": str(category.pk)},
        set_priority=Priority.HIGH,
        add_tags="billing, vip",
        internal_note="Billing ticket: check the invoice first.",
    )
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(requester=alice, subject="Invoice", category=category)
    ticket.refresh_from_db()
    assert ticket.priority == Priority.HIGH
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["billing", "vip"]
    assert ticket.comments.get().internal
    entry = TicketEvent.objects.get(ticket=ticket, kind="priority")
    assert entry.actor.display_name == "Automation" and entry.via == "automation rule “Urgent billing”"
    assert RuleRun.objects.get(rule=rule).outcome == Outcome.FIRED


def test_the_run_log_names_the_condition_that_failed(alice, category, make_rule, django_capture_on_commit_callbacks):
    rule = make_rule(trigger=Trigger.TICKET_CREATED, conditions={"priority": "urgent"}, set_priority=Priority.LOW)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_create(requester=alice, subject="Invoice", category=category)
    run = RuleRun.objects.get(rule=rule)
    assert run.outcome == Outcome.NOT_MATCHED and run.reason == "Condition not met: priority=urgent."


def test_a_rule_whose_actions_change_nothing_does_not_run(
    alice, bob, category, make_rule, django_capture_on_commit_callbacks
):
    rule = make_rule(
        trigger=Trigger.REQUESTER_REPLIED, set_priority=Priority.NORMAL, internal_note="Should not be written."
    )
    ticket = ticket_create(requester=alice, subject="Invoice", category=category)
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(ticket=ticket, author=alice, body="More details.")
    assert RuleRun.objects.get(rule=rule).outcome == Outcome.NO_CHANGE
    assert not ticket.comments.filter(internal=True).exists()


def test_a_rule_never_retriggers_itself(alice, bob, category, make_rule, django_capture_on_commit_callbacks):
    rule = make_rule(name="Tag", trigger=Trigger.TICKET_UPDATED, add_tags="touched", internal_note="Touched.")
    ticket = ticket_create(requester=alice, subject="Invoice", category=category)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(priority=Priority.HIGH))
    outcomes = list(RuleRun.objects.filter(rule=rule).order_by("id").values_list("outcome", flat=True))
    assert outcomes == [Outcome.FIRED, Outcome.LOOP]  # its own tag change came back to it, and was left alone
    assert ticket.comments.count() == 1


def test_a_chain_of_rules_stops_at_the_depth_limit(
    alice, category, make_rule, settings, django_capture_on_commit_callbacks
):
    settings.AUTOMATION_MAX_DEPTH = 1
    first = make_rule(name="Raise", trigger=Trigger.TICKET_CREATED, set_priority=Priority.HIGH)
    second = make_rule(name="Tag high", trigger=Trigger.TICKET_UPDATED, add_tags="high")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(requester=alice, subject="Invoice", category=category)
    assert RuleRun.objects.get(rule=first).outcome == Outcome.FIRED
    run = RuleRun.objects.get(rule=second)
    assert run.outcome == Outcome.DEPTH and run.reason == "Set off by a chain of 1 rules (the limit)."
    assert not ticket.tags.exists()


def test_two_rules_undoing_each_other_come_to_rest(alice, bob, category, make_rule, django_capture_on_commit_callbacks):
    make_rule(name="Up", trigger=Trigger.TICKET_UPDATED, conditions={"priority": "low"}, set_priority=Priority.HIGH)
    make_rule(name="Down", trigger=Trigger.TICKET_UPDATED, conditions={"priority": "high"}, set_priority=Priority.LOW)
    ticket = ticket_create(requester=alice, subject="Invoice", category=category)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(priority=Priority.LOW))
    fired = RuleRun.objects.filter(outcome=Outcome.FIRED).count()
    stopped = RuleRun.objects.filter(outcome__in=[Outcome.LOOP, Outcome.DEPTH]).count()
    assert stopped > 0 and fired <= 2 * 3  # each rule at most once per link of the chain


def test_a_notification_rule_mails_from_its_template(
    alice, bob, category, make_rule, django_capture_on_commit_callbacks
):
    make_rule(
        trigger=Trigger.AGENT_REPLIED,
        notify="requester",
        notification_subject="We answered",
        notification_body="Hello {{ ticket.requester.display_name }}, ticket {{ ticket.pk }} has an answer.",
    )
    ticket = ticket_create(requester=alice, subject="Invoice", category=category)
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(ticket=ticket, author=bob, body="Done.")
    mine = [m for m in mail.outbox if m.subject == f"[#{ticket.pk}] We answered"]  # every mail names its ticket
    assert len(mine) == 1 and mine[0].to == [alice.email]
    assert f"Hello Alice Requester, ticket {ticket.pk} has an answer." in mine[0].body


def test_a_notification_rules_times_are_told_in_the_recipients_zone_not_the_actors(
    alice, bob, category, make_rule, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=alice.pk).update(time_zone="Pacific/Kiritimati")  # UTC+14
    make_rule(
        trigger=Trigger.AGENT_REPLIED,
        notify="requester",
        notification_subject="We answered",
        notification_body='Your ticket of {{ ticket.created_at|date:"D j M, H:i" }}.',
    )
    with time_machine.travel(datetime(2026, 5, 4, 11, 30, tzinfo=UTC), tick=False):
        ticket = ticket_create(requester=alice, subject="Invoice", category=category)
        # Bob's page request, in his zone: the mail is Alice's.
        with timezone.override(ZoneInfo("America/New_York")), django_capture_on_commit_callbacks(execute=True):
            comment_create(ticket=ticket, author=bob, body="Done.")

    [mine] = [m for m in mail.outbox if m.subject == f"[#{ticket.pk}] We answered"]
    assert "Your ticket of Tue 5 May, 01:30." in mine.body


def test_one_edit_of_two_fields_fires_a_ticket_updated_rule_once(
    alice, bob, category, make_rule, django_capture_on_commit_callbacks
):
    rule = make_rule(
        name="Tell the requester",
        trigger=Trigger.TICKET_UPDATED,
        notify="requester",
        notification_subject="Your ticket was updated",
        notification_body="Ticket {{ ticket.pk }} was updated.",
        internal_note="Requester told of the update.",
    )
    ticket = ticket_create(requester=alice, subject="Invoice", category=category)
    with django_capture_on_commit_callbacks(execute=True):
        # One save on the ticket page: priority and assignee changed together.
        ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(priority=Priority.HIGH, assignee=bob))

    mails = [m for m in mail.outbox if m.subject == f"[#{ticket.pk}] Your ticket was updated"]
    assert len(mails) == 1, [m.subject for m in mail.outbox]
    assert ticket.comments.filter(internal=True).count() == 1
    assert RuleRun.objects.filter(rule=rule, outcome=Outcome.FIRED).count() == 1


def test_a_macro_setting_status_and_tags_is_one_edit_for_a_ticket_updated_rule(
    alice, bob, category, make_rule, django_capture_on_commit_callbacks
):
    rule = make_rule(name="Note it", trigger=Trigger.TICKET_UPDATED, internal_note="Updated.")
    ticket = ticket_create(requester=alice, subject="Invoice", category=category)
    macro = macro_create(actor=bob, name="Wait for them", set_status="pending", add_tags="waiting")
    with django_capture_on_commit_callbacks(execute=True):
        macro_apply(macro=macro, ticket=ticket, actor=bob)  # the status, then the tags: two ticket_update calls

    assert RuleRun.objects.filter(rule=rule, outcome=Outcome.FIRED).count() == 1


def test_an_admin_save_of_the_subject_and_the_priority_is_one_edit_for_a_ticket_updated_rule(
    alice, carol, category, client_for, make_rule, django_capture_on_commit_callbacks
):
    rule = make_rule(name="Note it", trigger=Trigger.TICKET_UPDATED, internal_note="Updated.")
    ticket = ticket_create(requester=alice, subject="Invoice", category=category)
    client = client_for(carol)
    data = form_data(client.get(change_url(ticket)), subject="Invoice twice", priority=Priority.HIGH)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(change_url(ticket), data).status_code == 302

    assert RuleRun.objects.filter(rule=rule, outcome=Outcome.FIRED).count() == 1


def test_a_rule_with_a_broken_message_template_does_not_stop_the_rules_after_it(
    alice, category, make_rule, django_capture_on_commit_callbacks
):
    broken = Rule.objects.create(  # straight to the table, past the check the API and the admin make on saving
        name="Greet",
        position=1,
        trigger=Trigger.TICKET_CREATED,
        notify="requester",
        notification_body="{% if ticket.subject %}Hello, we got {{ ticket.subject }}.",  # no endif
    )
    tagger = make_rule(name="Tag", position=2, trigger=Trigger.TICKET_CREATED, add_tags="triaged")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(requester=alice, subject="Invoice", category=category)

    assert RuleRun.objects.filter(rule=tagger, outcome=Outcome.FIRED).exists()
    assert list(ticket.tags.values_list("name", flat=True)) == ["triaged"]
    assert RuleRun.objects.filter(rule=broken, outcome=Outcome.FAILED).exists()  # the admin sees why in the log


def test_a_rule_with_a_note_still_runs_on_the_ticket_a_merge_closed(
    alice, bob, category, make_rule, django_capture_on_commit_callbacks
):
    """People may not write on a merged ticket (their page was stale); a rule's note is the system's own record."""
    rule = make_rule(
        name="Closed",
        trigger=Trigger.TICKET_UPDATED,
        conditions={"status": "closed"},
        add_tags="done",
        internal_note="Closed: check the follow-ups.",
    )
    source = ticket_create(requester=alice, subject="Printer", category=category)
    target = ticket_create(requester=alice, subject="Printer again", category=category)

    with django_capture_on_commit_callbacks(execute=True):
        ticket_merge(source=source, target=target, actor=bob)

    outcomes = set(RuleRun.objects.filter(rule=rule, ticket=source).values_list("outcome", flat=True))
    assert Outcome.FIRED in outcomes and Outcome.FAILED not in outcomes
    assert list(source.tags.values_list("name", flat=True)) == ["done"]
    assert source.comments.filter(internal=True, body="Closed: check the follow-ups.").exists()


def test_an_agent_replied_rule_does_not_act_on_the_notice_a_merge_leaves_on_the_merged_ticket(
    alice, bob, category, make_rule, caplog, mailoutbox, django_capture_on_commit_callbacks
):
    """The notice tells the requester where the conversation went; nobody answered them, so "agent replied" rules
    (set pending, tag awaiting-customer, a note) must not run on the ticket the merge just closed."""
    rule = make_rule(
        name="Awaiting customer",
        trigger=Trigger.AGENT_REPLIED,
        set_status="pending",
        add_tags="awaiting-customer",
        internal_note="Waiting on the customer.",
    )
    source = ticket_create(requester=alice, subject="Printer", category=category)
    target = ticket_create(requester=alice, subject="Printer again", category=category)
    mailoutbox.clear()

    with caplog.at_level("ERROR"), django_capture_on_commit_callbacks(execute=True):
        ticket_merge(source=source, target=target, actor=bob)

    source.refresh_from_db()
    assert source.status == "closed" and source.merged_into == target
    assert not source.tags.exists()
    assert not source.comments.filter(internal=True).exists()
    assert not RuleRun.objects.filter(rule=rule).exists()
    assert not TicketEvent.objects.filter(via="automation rule “Awaiting customer”").exists()
    assert [record for record in caplog.records if record.levelname == "ERROR"] == []
    # The notice is still mailed to the requester, from the merged ticket.
    [notice] = [message for message in mailoutbox if message.to == [alice.email]]
    assert f"merged into request #{target.pk}" in notice.body


@pytest.mark.parametrize("made", ["with conditions only", "its team deleted since"])
def test_a_rule_with_no_actions_fires_and_its_run_log_says_what_is_missing(
    alice, bob, category, make_rule, django_capture_on_commit_callbacks, made
):
    sales = Team.objects.create(name="Sales")
    if made == "with conditions only":
        rule = make_rule(name="Watch", trigger=Trigger.TICKET_CREATED, conditions={"priority": "normal"})
    else:
        rule = make_rule(name="To sales", trigger=Trigger.TICKET_CREATED, set_team=sales)
        sales.delete()  # the rule stays, its team gone (set_team is SET_NULL)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_create(requester=alice, subject="Invoice", category=category)

    run = RuleRun.objects.get(rule=rule)
    assert (run.outcome, run.reason) == (Outcome.FIRED, NO_ACTIONS)


def test_a_rule_not_naming_a_status_leaves_the_ticket_a_merge_closed_alone(
    alice, bob, support, category, make_rule, django_capture_on_commit_callbacks
):
    """A merged ticket is a shell whose conversation moved on: "unassigned → round-robin" must not hand it to an
    agent (who would be told of a ticket nobody works). A rule that names a status chooses its tickets itself."""
    rule = make_rule(name="Round-robin", trigger=Trigger.TICKET_UPDATED, assign=AssignMode.ROUND_ROBIN)
    source = ticket_create(requester=alice, subject="Printer", category=category)
    target = ticket_create(requester=alice, actor=bob, subject="Printer again", category=category, assignee=bob)

    with django_capture_on_commit_callbacks(execute=True):
        ticket_merge(source=source, target=target, actor=bob)

    source.refresh_from_db()
    assert source.assignee is None
    runs = RuleRun.objects.filter(rule=rule, ticket=source)
    assert {run.outcome for run in runs} == {Outcome.NOT_MATCHED}
    assert {run.reason for run in runs} == {
        f"#{source.pk} was merged into #{target.pk}: only a rule whose conditions name a status acts on it."
    }
