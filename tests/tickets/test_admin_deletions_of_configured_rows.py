"""Deleting a team, an agent's account or a category in the admin while configuration names it is refused, with what
names it listed, as the admin refuses a row protected by a foreign key. The configuration would otherwise lose it
unnoticed (SET_NULL, or stored conditions naming a gone id): a rule "assign to Dave" that assigns nobody, a macro
"escalate to Tier 2" that no longer moves the ticket, a category or a mailbox that stops routing, a rule or SLA policy
whose condition on the team matches no ticket any more."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Model
from django.urls import reverse

from accounts.models import Role, User
from accounts.services import user_create
from automations.models import AssignMode, Rule, Trigger
from inbound.models import Mailbox
from macros.models import Macro, MacroVisibility
from queues.models import SavedView
from sla.models import SlaPolicy
from tests.conftest import PASSWORD
from tickets.models import Category, Team

pytestmark = pytest.mark.django_db


def delete_on_its_page(client, url_name: str, pk: int):
    return client.post(reverse(url_name, args=[pk]), {"post": "yes"})


def delete_selected(client, changelist: str, pks: list[int]):
    return client.post(reverse(changelist), {"action": "delete_selected", "post": "yes", ACTION_CHECKBOX_NAME: pks})


def rule(**actions) -> Rule:
    return Rule.objects.create(name="Escalate urgent", trigger=Trigger.TICKET_CREATED, **actions)


def macro(owner: User, **actions) -> Macro:
    return Macro.objects.create(
        name="Escalate", body="Passing this on.", owner=owner, visibility=MacroVisibility.EVERYONE, **actions
    )


def mailbox(**routing) -> Mailbox:
    return Mailbox.objects.create(
        name="billing", address="billing@example.com", host="127.0.0.1", port=993, username="billing", **routing
    )


def sla_policy(conditions: dict[str, str]) -> SlaPolicy:
    return SlaPolicy.objects.create(name="Urgent first", conditions=conditions)


@pytest.fixture
def tier2(db) -> Team:
    return Team.objects.create(name="Tier 2")


@pytest.fixture
def dave(db) -> User:
    return user_create(email="dave@example.com", password=PASSWORD, name="Dave Agent", role=Role.AGENT)


@pytest.fixture
def refunds(db) -> Category:
    return Category.objects.create(name="Refunds", slug="refunds")


TEAM_NAMED_BY: dict[str, tuple[Callable[[Team, User], Model], str]] = {
    "a rule's action": (lambda t, _: rule(set_team=t), "Automation rule “Escalate urgent” sets the team “Tier 2”"),
    "an inactive rule's action": (
        lambda t, _: rule(set_team=t, is_active=False),
        "Automation rule “Escalate urgent” (inactive) sets the team “Tier 2”",
    ),
    "a rule's condition": (
        lambda t, _: rule(conditions={"team": str(t.pk)}, set_priority=4),
        "Automation rule “Escalate urgent” has a condition on the team “Tier 2”",
    ),
    "a macro": (lambda t, owner: macro(owner, set_team=t), "Macro “Escalate” sets the team “Tier 2”"),
    "a category": (
        lambda t, _: Category.objects.create(name="Refunds", slug="refunds", default_team=t),
        "Category “Refunds” routes to the team “Tier 2”",
    ),
    "a mailbox": (lambda t, _: mailbox(team=t), "Mailbox “billing” routes to the team “Tier 2”"),
    "an SLA policy": (
        lambda t, _: sla_policy({"team": str(t.pk)}),
        "SLA policy “Urgent first” has a condition on the team “Tier 2”",
    ),
}


@pytest.mark.parametrize("named_by", TEAM_NAMED_BY)
@pytest.mark.parametrize("on", ["its page", "delete selected"])
def test_a_team_named_by_configuration_is_not_deleted_and_the_page_says_what_names_it(
    client_for, carol, tier2, named_by, on
):
    make, reason = TEAM_NAMED_BY[named_by]
    config = make(tier2, carol)
    client = client_for(carol)

    if on == "its page":
        response = delete_on_its_page(client, "admin:tickets_team_delete", tier2.pk)
    else:
        response = delete_selected(client, "admin:tickets_team_changelist", [tier2.pk])

    assert response.status_code == 200
    assert reason in response.content.decode()
    assert Team.objects.filter(pk=tier2.pk).exists()
    config.refresh_from_db()
    assert tier2.pk in {getattr(config, f, None) for f in ("set_team_id", "default_team_id", "team_id")} or (
        config.conditions == {"team": str(tier2.pk)}
    )


AGENT_NAMED_BY: dict[str, tuple[Callable[[User, User], Model], str]] = {
    "a rule's action": (
        lambda agent, _: rule(assign=AssignMode.AGENT, assign_to=agent),
        "Automation rule “Escalate urgent” assigns to Dave Agent",
    ),
    "a rule's condition": (
        lambda agent, _: rule(conditions={"assignee": str(agent.pk)}, set_priority=4),
        "Automation rule “Escalate urgent” has a condition on Dave Agent",
    ),
    "another's macro": (
        lambda agent, owner: macro(owner, set_assignee=agent),
        "Macro “Escalate” assigns to Dave Agent",
    ),
    "an SLA policy": (
        lambda agent, _: sla_policy({"assignee": str(agent.pk)}),
        "SLA policy “Urgent first” has a condition on Dave Agent",
    ),
}


@pytest.mark.parametrize("named_by", AGENT_NAMED_BY)
@pytest.mark.parametrize("on", ["its page", "delete selected"])
def test_an_agent_named_by_configuration_is_not_deleted_and_the_page_says_what_names_them(
    client_for, carol, dave, named_by, on
):
    make, reason = AGENT_NAMED_BY[named_by]
    make(dave, carol)
    client = client_for(carol)

    if on == "its page":
        response = delete_on_its_page(client, "admin:accounts_user_delete", dave.pk)
    else:
        response = delete_selected(client, "admin:accounts_user_changelist", [dave.pk])

    assert response.status_code == 200
    assert reason in response.content.decode()
    assert User.objects.filter(pk=dave.pk).exists()


CATEGORY_NAMED_BY: dict[str, tuple[Callable[[Category], Model], str]] = {
    "a rule's action": (
        lambda c: rule(set_category=c),
        "Automation rule “Escalate urgent” sets the category “Refunds”",
    ),
    "a rule's condition": (
        lambda c: rule(conditions={"category": str(c.pk)}, set_priority=4),
        "Automation rule “Escalate urgent” has a condition on the category “Refunds”",
    ),
    "a mailbox": (lambda c: mailbox(category=c), "Mailbox “billing” files its mail under the category “Refunds”"),
    "an SLA policy": (
        lambda c: sla_policy({"category": str(c.pk)}),
        "SLA policy “Urgent first” has a condition on the category “Refunds”",
    ),
}


@pytest.mark.parametrize("named_by", CATEGORY_NAMED_BY)
@pytest.mark.parametrize("on", ["its page", "delete selected"])
def test_a_category_named_by_configuration_is_not_deleted_and_the_page_says_what_names_it(
    client_for, carol, refunds, named_by, on
):
    make, reason = CATEGORY_NAMED_BY[named_by]
    make(refunds)
    client = client_for(carol)

    if on == "its page":
        response = delete_on_its_page(client, "admin:tickets_category_delete", refunds.pk)
    else:
        response = delete_selected(client, "admin:tickets_category_changelist", [refunds.pk])

    assert response.status_code == 200
    assert reason in response.content.decode()
    assert Category.objects.filter(pk=refunds.pk).exists()


def test_teams_chosen_together_list_what_names_each(client_for, carol, tier2):
    sales = Team.objects.create(name="Sales")
    rule(set_team=tier2)
    macro(carol, set_team=sales)

    response = delete_selected(client_for(carol), "admin:tickets_team_changelist", [tier2.pk, sales.pk])

    page = response.content.decode()
    assert "Automation rule “Escalate urgent” sets the team “Tier 2”" in page
    assert "Macro “Escalate” sets the team “Sales”" in page
    assert Team.objects.count() == 2


def test_a_team_once_the_configuration_names_it_no_more_is_deleted(client_for, carol, tier2):
    escalate = rule(set_team=tier2)
    escalate.set_team = None
    escalate.set_priority = 4
    escalate.save()

    response = delete_on_its_page(client_for(carol), "admin:tickets_team_delete", tier2.pk)

    assert response.status_code == 302
    assert not Team.objects.filter(pk=tier2.pk).exists()


def test_a_saved_view_naming_a_team_does_not_keep_it(client_for, carol, bob, tier2):
    """A view changes no ticket, its owner sees it go empty, and only its owner can edit it: not the admin's to fix."""
    SavedView.objects.create(name="Tier 2's", owner=bob, team=tier2, conditions={"team": str(tier2.pk)})

    response = delete_on_its_page(client_for(carol), "admin:tickets_team_delete", tier2.pk)

    assert response.status_code == 302
    assert not Team.objects.filter(pk=tier2.pk).exists()


def test_an_agents_own_macros_assigning_to_them_do_not_keep_them(client_for, carol, dave):
    """Their macros go with their account (the owner's foreign key cascades): nothing is left naming them."""
    macro(dave, set_assignee=dave)

    response = delete_on_its_page(client_for(carol), "admin:accounts_user_delete", dave.pk)

    assert response.status_code == 302
    assert not User.objects.filter(pk=dave.pk).exists()


def test_a_macro_assigning_to_whoever_uses_it_does_not_keep_a_leftover_assignee(client_for, carol, dave):
    """With "assign to the agent using it" the chosen assignee is never used: losing it changes nothing."""
    macro(carol, set_assignee=dave, assign_to_me=True)

    response = delete_on_its_page(client_for(carol), "admin:accounts_user_delete", dave.pk)

    assert response.status_code == 302
    assert not User.objects.filter(pk=dave.pk).exists()


def test_a_category_named_by_nothing_is_deleted(client_for, carol, refunds):
    response = delete_on_its_page(client_for(carol), "admin:tickets_category_delete", refunds.pk)

    assert response.status_code == 302
    assert not Category.objects.filter(pk=refunds.pk).exists()
