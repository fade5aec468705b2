"""Automation rules in the API: admins create and change them, with the same validation as the admin."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from automations.models import Outcome, Rule, TimeBase, Trigger
from automations.services import time_rules_run
from tests.support.api import assert_error_body
from tickets.models import BODY_MAX_CHARS
from tickets.services import ticket_create

RULES = "/api/v1/automation/rules/"


def test_an_admin_creates_changes_and_reads_the_run_log_of_a_rule(
    api_client_for, carol, alice, category, django_capture_on_commit_callbacks
):
    client = api_client_for(carol)
    response = client.post(
        RULES,
        {"name": "Tag billing", "trigger": "ticket_created", "conditions": {"priority": "normal"}, "add_tags": "x"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    rule_id = response.json()["id"]
    changed = client.patch(f"{RULES}{rule_id}/", {"set_priority": "high"}, format="json")
    assert changed.status_code == 200 and changed.json()["set_priority"] == "high"
    with django_capture_on_commit_callbacks(execute=True):
        ticket_create(requester=alice, subject="Invoice", category=category)
    runs = client.get(f"{RULES}{rule_id}/runs/").json()["results"]
    assert [run["outcome"] for run in runs] == [Outcome.FIRED]


def test_invalid_conditions_or_an_incomplete_time_rule_are_refused_with_details(api_client_for, carol):
    client = api_client_for(carol)
    response = client.post(RULES, {"name": "x", "trigger": "time", "conditions": {"colour": "red"}}, format="json")
    body = assert_error_body(response, 400, "invalid")
    assert set(body["details"]) == {"conditions", "after_minutes"}
    assert not Rule.objects.exists()


def test_a_time_rule_longer_than_ten_years_is_refused_and_the_other_time_rules_keep_running(
    api_client_for, carol, alice, category, make_rule
):
    response = api_client_for(carol).post(
        RULES,
        {"name": "Forever", "trigger": "time", "after_minutes": 2_000_000_000, "time_base": "created", "add_tags": "x"},
        format="json",
    )
    body = assert_error_body(response, 400, "invalid")
    assert set(body["details"]) == {"after_minutes"}
    assert_other_time_rules_run(alice, category, make_rule)


def test_a_time_rule_stored_with_a_wait_past_the_year_1_fires_nothing_and_the_others_still_run(
    alice, category, make_rule
):
    # Stored before the limit was checked; the worker's run stopped at it with an OverflowError, every rule with it.
    make_rule(name="Forever", trigger=Trigger.TIME, time_base=TimeBase.CREATED, after_minutes=0, add_tags="never")
    Rule.objects.filter(name="Forever").update(after_minutes=2_000_000_000)
    assert_other_time_rules_run(alice, category, make_rule)


def test_agents_and_requesters_cannot_manage_rules(api_client_for, bob, mallory):
    for user in (bob, mallory):
        assert api_client_for(user).get(RULES).status_code == 403
        assert api_client_for(user).post(RULES, {"name": "x"}, format="json").status_code == 403


def test_the_api_refuses_a_message_template_that_cannot_be_rendered(api_client_for, carol):
    response = api_client_for(carol).post(
        RULES,
        {
            "name": "Greet",
            "trigger": "ticket_created",
            "notify": "requester",
            "notification_body": "{% if ticket.subject %}Hello, we got {{ ticket.subject }}.",
        },
        format="json",
    )
    assert response.status_code == 400, response.json()


def test_the_api_refuses_a_rule_that_assigns_to_a_deactivated_agent(api_client_for, carol, dave):
    dave.is_active = False
    dave.save()
    response = api_client_for(carol).post(
        RULES,
        {"name": "To Dave", "trigger": "ticket_created", "assign": "agent", "assign_to": dave.pk, "add_tags": "x"},
        format="json",
    )
    assert response.status_code == 400, response.json()  # stored, it would fail on every ticket, tags and all


def assert_other_time_rules_run(alice, category, make_rule) -> None:
    """A rule tagging tickets 30 minutes old tags one, and only it fires."""
    make_rule(name="Nudge", trigger=Trigger.TIME, time_base=TimeBase.CREATED, after_minutes=30, add_tags="nudged")
    with time_machine.travel(datetime(2026, 5, 1, 12, 0, tzinfo=UTC), tick=False) as traveller:
        ticket = ticket_create(requester=alice, subject="Invoice", category=category)
        traveller.move_to(datetime(2026, 5, 1, 13, 0, tzinfo=UTC))
        assert time_rules_run() == 1
    assert list(ticket.tags.values_list("name", flat=True)) == ["nudged"]


def test_an_internal_note_longer_than_the_limit_is_refused(api_client_for, carol):
    data = {"name": "Long note", "trigger": "ticket_created", "internal_note": "x" * (BODY_MAX_CHARS + 1)}

    response = api_client_for(carol).post(RULES, data, format="json")

    error = assert_error_body(response, 400, "invalid")
    assert error["details"]["internal_note"] == ["Ensure this field has no more than 65536 characters."]
    assert not Rule.objects.exists()
