"""Deleting a team, an agent's account or a category in the admin while configuration names it is refused, with what
names it listed, as the admin refuses a row protected by a foreign key. The configuration would otherwise lose it
unnoticed (SET_NULL, or stored conditions naming a gone id): a rule "assign to Dave" that assigns nobody, a macro
"escalate to Tier 2" that no longer moves the ticket, a category or a mailbox that stops routing, a rule or SLA policy
whose condition on the team matches no ticket any more."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import LogEntry
from django.db.models import Model
from django.urls import reverse

from accounts.models import Role, User
from accounts.services import user_create
from automations.models import AssignMode, Rule, Trigger
from helpdesk.errors import InvalidValue
from inbound.models import Mailbox
from macros.models import Macro, MacroVisibility
from queues.models import SavedView
from sla.models import SlaPolicy
from tests.conftest import PASSWORD
from tickets.models import Category, Priority, Team
from tickets.services import removal, ticket_create

pytestmark = pytest.mark.django_db


def delete_on_its_page(client, url_name: str, pk: int):
    return client.post(reverse(url_name, args=[pk]), {"post": "yes"})


def delete_selected(client, changelist: str, pks: list[int]):
    return client.post(reverse(changelist), {"action": "delete_selected", "post": "yes", ACTION_CHECKBOX_NAME: pks})


def rule(**actions) -> Rule:
    return Rule.objects.create(name="Escalate urgent", trigger=Trigger.TICKET_CREATED, **actions)


def macro(owner: User, **fields) -> Macro:
    return Macro.objects.create(
        name="Escalate", body="Passing this on.", owner=owner, **{"visibility": MacroVisibility.EVERYONE, **fields}
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
    """Their personal macros go with their account (the owner's foreign key cascades): nothing is left naming them."""
    macro(dave, set_assignee=dave, visibility=MacroVisibility.PERSONAL)

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


@pytest.mark.parametrize("visibility", [MacroVisibility.EVERYONE, MacroVisibility.TEAM])
@pytest.mark.parametrize("on", ["its page", "delete selected"])
def test_an_agent_owning_a_shared_macro_is_not_deleted_and_the_page_says_which(
    client_for, carol, dave, tier2, visibility, on
):
    """Others use it: it would go with the account (the owner's foreign key cascades), unnoticed by the team."""
    shared = macro(dave, set_team=tier2, visibility=visibility, shared_team=tier2)
    client = client_for(carol)

    if on == "its page":
        response = delete_on_its_page(client, "admin:accounts_user_delete", dave.pk)
    else:
        response = delete_selected(client, "admin:accounts_user_changelist", [dave.pk])

    assert response.status_code == 200
    assert (
        "Macro “Escalate” (shared) belongs to Dave Agent: give it to someone else or delete it first."
        in response.content.decode()
    )
    assert User.objects.filter(pk=dave.pk).exists()
    assert Macro.objects.filter(pk=shared.pk).exists()


def test_an_agents_personal_macros_go_with_their_account(client_for, carol, dave, tier2):
    mine = macro(dave, set_team=tier2, visibility=MacroVisibility.PERSONAL)

    response = delete_on_its_page(client_for(carol), "admin:accounts_user_delete", dave.pk)

    assert response.status_code == 302
    assert not User.objects.filter(pk=dave.pk).exists()
    assert not Macro.objects.filter(pk=mine.pk).exists()


def named_between_check_and_deletion(monkeypatch: pytest.MonkeyPatch, model_admin: type, name: Callable[[], Model]):
    """Configuration saved after the admin listed what names the row, before the deletion locked it. (Here in the
    request's own transaction, so rolled back with it: tests/tickets/test_concurrent_edits_postgres.py has it saved
    by another connection.)"""
    checked = model_admin.deletion_refusals
    named: list[Model] = []

    def check_then_name(objs):
        refusals = checked(objs)
        if not named:
            named.append(name())
        return refusals

    monkeypatch.setattr(model_admin, "deletion_refusals", staticmethod(check_then_name))


@pytest.mark.parametrize("on", ["its page", "delete selected"])
def test_a_team_named_by_a_rule_saved_after_the_page_checked_is_not_deleted_and_the_page_says_why(
    monkeypatch, client_for, carol, tier2, on
):
    from tickets.admin import TeamAdmin

    named_between_check_and_deletion(monkeypatch, TeamAdmin, lambda: rule(set_team=tier2))
    client = client_for(carol)

    if on == "its page":
        response = delete_on_its_page(client, "admin:tickets_team_delete", tier2.pk)
    else:
        response = delete_selected(client, "admin:tickets_team_changelist", [tier2.pk])

    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "The team “Tier 2” was not deleted." in page
    assert "Automation rule “Escalate urgent” sets the team “Tier 2”: change or delete it first." in page
    assert Team.objects.filter(pk=tier2.pk).exists()
    assert not LogEntry.objects.exists()  # nor is it recorded as deleted


def test_an_agent_named_by_a_macro_saved_after_the_page_checked_is_not_deleted(monkeypatch, client_for, carol, dave):
    from accounts.admin import UserAdmin

    named_between_check_and_deletion(monkeypatch, UserAdmin, lambda: macro(carol, set_assignee=dave))
    client = client_for(carol)

    response = delete_on_its_page(client, "admin:accounts_user_delete", dave.pk)

    assert response.status_code == 302
    assert (
        "Macro “Escalate” assigns to Dave Agent: change or delete it first."
        in client.get(response.url).content.decode()
    )
    assert User.objects.filter(pk=dave.pk).exists()


@pytest.mark.parametrize("on", ["its page", "delete selected"])
def test_a_category_given_to_a_ticket_after_the_page_checked_is_not_deleted_and_the_page_says_why(
    monkeypatch, client_for, carol, alice, refunds, on
):
    from tickets.admin import CategoryAdmin

    named_between_check_and_deletion(
        monkeypatch, CategoryAdmin, lambda: ticket_create(requester=alice, subject="Refund", category=refunds)
    )
    client = client_for(carol)

    if on == "its page":
        response = delete_on_its_page(client, "admin:tickets_category_delete", refunds.pk)
    else:
        response = delete_selected(client, "admin:tickets_category_changelist", [refunds.pk])

    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "The category “Refunds” was not deleted." in page and "1 ticket still has it" in page
    assert Category.objects.filter(pk=refunds.pk).exists()


def test_a_category_named_by_a_rule_saved_after_the_page_checked_is_not_deleted(
    monkeypatch, client_for, carol, refunds
):
    from tickets.admin import CategoryAdmin

    named_between_check_and_deletion(monkeypatch, CategoryAdmin, lambda: rule(set_category=refunds))
    client = client_for(carol)

    response = delete_on_its_page(client, "admin:tickets_category_delete", refunds.pk)

    assert response.status_code == 302
    assert "Automation rule “Escalate urgent” sets the category “Refunds”" in client.get(response.url).content.decode()
    assert Category.objects.filter(pk=refunds.pk).exists()


def test_selected_categories_named_by_nothing_are_deleted(client_for, carol, refunds):
    sales = Category.objects.create(name="Sales", slug="sales")

    response = delete_selected(client_for(carol), "admin:tickets_category_changelist", [refunds.pk, sales.pk])

    assert response.status_code == 302
    assert not Category.objects.exists()


@pytest.mark.parametrize("spelling", ["{pk:02d}", " {pk}", "+{pk}"])
def test_a_condition_spelling_the_id_otherwise_still_keeps_the_row(client_for, carol, dave, tier2, refunds, spelling):
    """The filters read "05" as 5 (tickets.filters.id_read): such a condition matches the row's tickets."""
    conditions = {key: spelling.format(pk=row.pk) for key, row in (("team", tier2), ("category", refunds))}
    rule(conditions=conditions, set_priority=Priority.HIGH).full_clean()  # valid, as stored by any door
    sla_policy({"assignee": f"{dave.pk:02d}"}).full_clean()  # an assignee is digits, "me" or "none"
    client = client_for(carol)

    for url_name, row in (
        ("admin:tickets_team_delete", tier2),
        ("admin:tickets_category_delete", refunds),
        ("admin:accounts_user_delete", dave),
    ):
        response = delete_on_its_page(client, url_name, row.pk)
        assert response.status_code == 200, url_name
        assert "has a condition on" in response.content.decode()
        assert type(row).objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize("kind", ["team", "agent", "category"])
def test_the_deletion_asks_again_once_it_holds_the_row_and_the_configuration_keeps_it(
    carol, tier2, dave, refunds, kind
):
    """What the confirmation page listed is asked again under the row's lock: a rule saved in between keeps its row
    rather than losing it unnoticed (SET_NULL)."""
    row, delete, action = {
        "team": (tier2, lambda: removal.team_delete(team=tier2, actor=carol), {"set_team": tier2}),
        "agent": (
            dave,
            lambda: removal.user_delete(user=dave, actor=carol),
            {"assign": AssignMode.AGENT, "assign_to": dave},
        ),
        "category": (
            refunds,
            lambda: removal.category_delete(category=refunds, actor=carol),
            {"set_category": refunds},
        ),
    }[kind]
    assert removal.removal_refusals([row]) == []  # the page's check
    saved = rule(**action)  # by someone else, meanwhile

    with pytest.raises(InvalidValue) as refused:
        delete()

    assert refused.value.message.endswith("was not deleted.")
    assert [reason.split(" ")[:3] for reason in refused.value.details["deletion"]] == [
        ["Automation", "rule", "“Escalate"]
    ]
    assert type(row).objects.filter(pk=row.pk).exists()
    saved.refresh_from_db()
    assert {name: getattr(saved, name) for name in action} == action
