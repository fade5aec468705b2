"""Deleting a team, a tag or an agent's account (or renaming a tag) in the admin changes the tickets that had them.
Each change is recorded on the ticket, by the admin, as the same edit on the ticket's page would be: an entry in its
history and a domain event (for rules, webhooks, SLA clocks and search). Before, the database dropped them from the
tickets unrecorded."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from accounts.models import Role, User
from accounts.services import user_create
from events.models import Event, EventKind
from helpdesk.errors import InvalidValue
from tests.conftest import PASSWORD
from tickets.models import Category, Priority, Tag, Team, Ticket, TicketEvent, TicketEventKind
from tickets.services import TicketChanges, removal, ticket_create, ticket_update
from tickets.services.audit import DOMAIN_EVENT_KINDS

pytestmark = pytest.mark.django_db


def delete_on_its_page(client, url_name: str, pk: int):
    return client.post(reverse(url_name, args=[pk]), {"post": "yes"})


def delete_selected(client, changelist: str, pks: list[int]):
    return client.post(reverse(changelist), {"action": "delete_selected", "post": "yes", ACTION_CHECKBOX_NAME: pks})


def recorded_change(ticket: Ticket, kind: str) -> tuple[tuple[str, str, User, str], dict, User]:
    """The ticket's history entry of `kind` (old, new, actor, via) and its domain event's payload and actor."""
    entry = TicketEvent.objects.get(ticket=ticket, kind=kind)
    event = Event.objects.get(ticket=ticket, kind=DOMAIN_EVENT_KINDS[kind])
    payload = {name: event.payload[name] for name in ("old", "new")}
    return (entry.old_value, entry.new_value, entry.actor, entry.via), payload, event.actor


def no_category_routing_to(team: Team) -> None:
    """As the admin does first: a category routing to the team keeps it (test_admin_deletions_of_configured_rows.py)."""
    Category.objects.filter(default_team=team).update(default_team=None)


def another_ticket(requester: User, editor: User, **changes) -> Ticket:
    ticket = ticket_create(requester=requester, subject="Login fails", description="Since Monday.")
    return ticket_update(ticket=ticket, actor=editor, changes=TicketChanges(**changes))


def test_deleting_a_team_on_its_page_records_on_its_ticket_that_it_left(client_for, carol, ticket, team):
    no_category_routing_to(team)

    response = delete_on_its_page(client_for(carol), "admin:tickets_team_delete", team.pk)

    assert response.status_code == 302
    assert not Team.objects.exists()
    ticket.refresh_from_db()
    assert ticket.team is None
    assert recorded_change(ticket, TicketEventKind.TEAM) == (
        ("Support", "", carol, "team “Support” deleted"),
        {"old": team.pk, "new": None},
        carol,
    )


def test_deleting_selected_teams_records_it_on_every_ticket_of_each(client_for, carol, alice, ticket, team):
    sales = Team.objects.create(name="Sales")
    sales_ticket = another_ticket(alice, carol, team=sales)
    no_category_routing_to(team)

    response = delete_selected(client_for(carol), "admin:tickets_team_changelist", [team.pk, sales.pk])

    assert response.status_code == 302
    assert not Team.objects.exists()
    assert recorded_change(ticket, TicketEventKind.TEAM)[0] == ("Support", "", carol, "team “Support” deleted")
    # The ticket's own earlier change to Sales is in its history too; the deletion is the latest.
    latest = TicketEvent.objects.filter(ticket=sales_ticket, kind=TicketEventKind.TEAM).latest("pk")
    assert (latest.old_value, latest.new_value, latest.actor) == ("Sales", "", carol)


def test_deleting_a_tag_on_its_page_records_it_and_leaves_the_other_tags_as_they_were(client_for, carol, ticket):
    ticket_update(ticket=ticket, actor=carol, changes=TicketChanges(tags=["billing", "refund"]))
    # Made by hand in the admin: the normalised names of a tags edit would have lowered it.
    ticket.tags.add(Tag.objects.create(name="VIP"))
    refund = Tag.objects.get(name="refund")

    response = delete_on_its_page(client_for(carol), "admin:tickets_tag_delete", refund.pk)

    assert response.status_code == 302
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["VIP", "billing"]
    entry = TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.TAGS).latest("pk")
    assert (entry.old_value, entry.new_value, entry.actor, entry.via) == (
        "VIP, billing, refund",
        "VIP, billing",
        carol,
        "tag “refund” deleted",
    )
    event = Event.objects.filter(ticket=ticket, kind=DOMAIN_EVENT_KINDS[TicketEventKind.TAGS]).latest("pk")
    assert (event.payload["old"], event.payload["new"], event.actor) == (
        ["VIP", "billing", "refund"],
        ["VIP", "billing"],
        carol,
    )


def test_renaming_a_tag_on_its_page_changes_no_ticket_and_says_so_once(client_for, carol, alice, ticket):
    """The tickets keep their tag under its new name: no edit of theirs to record (their search documents are rebuilt
    from the one event: tests/search/test_indexing_from_events.py)."""
    ticket_update(ticket=ticket, actor=carol, changes=TicketChanges(tags=["billing", "refund"]))
    another_ticket(alice, carol, tags=["refund"])
    refund = Tag.objects.get(name="refund")
    recorded = TicketEvent.objects.count()

    response = client_for(carol).post(reverse("admin:tickets_tag_change", args=[refund.pk]), {"name": "refunds"})

    assert response.status_code == 302
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["billing", "refunds"]
    assert TicketEvent.objects.count() == recorded
    renamed = Event.objects.get(kind=EventKind.TAG_RENAMED)
    assert (renamed.payload, renamed.actor, renamed.ticket) == (
        {"tag_id": refund.pk, "old": "refund", "new": "refunds"},
        carol,
        None,
    )


def test_deleting_selected_tags_records_it_on_every_ticket_that_had_them(client_for, carol, alice, ticket):
    ticket_update(ticket=ticket, actor=carol, changes=TicketChanges(tags=["billing", "refund"]))
    other = another_ticket(alice, carol, tags=["refund"])
    tags = list(Tag.objects.values_list("pk", flat=True))

    response = delete_selected(client_for(carol), "admin:tickets_tag_changelist", tags)

    assert response.status_code == 302
    assert not Tag.objects.exists()
    latest = {
        t.pk: TicketEvent.objects.filter(ticket=t, kind=TicketEventKind.TAGS).latest("pk").new_value
        for t in (ticket, other)
    }
    assert latest == {ticket.pk: "", other.pk: ""}


def test_deleting_an_agent_on_their_page_records_on_their_tickets_that_they_were_unassigned(client_for, carol, ticket):
    dave = user_create(email="dave@example.com", password=PASSWORD, name="Dave Agent", role=Role.AGENT)
    ticket_update(ticket=ticket, actor=carol, changes=TicketChanges(assignee=dave))
    dave_pk = dave.pk

    response = delete_on_its_page(client_for(carol), "admin:accounts_user_delete", dave_pk)

    assert response.status_code == 302
    assert not User.objects.filter(pk=dave_pk).exists()
    ticket.refresh_from_db()
    assert ticket.assignee is None
    entry = TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.ASSIGNEE).latest("pk")
    assert (entry.old_value, entry.new_value, entry.actor, entry.via) == (
        "Dave Agent",
        "",
        carol,
        "account of Dave Agent deleted",
    )
    event = Event.objects.filter(ticket=ticket, kind=DOMAIN_EVENT_KINDS[TicketEventKind.ASSIGNEE]).latest("pk")
    assert (event.payload["old"], event.payload["new"], event.actor) == (dave_pk, None, carol)


def test_deleting_selected_agents_records_it_on_each_of_their_tickets(client_for, carol, alice, ticket):
    dave = user_create(email="dave@example.com", password=PASSWORD, name="Dave Agent", role=Role.AGENT)
    erin = user_create(email="erin@example.com", password=PASSWORD, name="Erin Agent", role=Role.AGENT)
    ticket_update(ticket=ticket, actor=carol, changes=TicketChanges(assignee=dave))
    erins = another_ticket(alice, carol, assignee=erin)

    response = delete_selected(client_for(carol), "admin:accounts_user_changelist", [dave.pk, erin.pk])

    assert response.status_code == 302
    assert not User.objects.filter(pk__in=[dave.pk, erin.pk]).exists()
    latest = {
        t.pk: TicketEvent.objects.filter(ticket=t, kind=TicketEventKind.ASSIGNEE).latest("pk") for t in (ticket, erins)
    }
    assert {pk: (e.old_value, e.new_value, e.actor) for pk, e in latest.items()} == {
        ticket.pk: ("Dave Agent", "", carol),
        erins.pk: ("Erin Agent", "", carol),
    }


def listed_then_edited(monkeypatch: pytest.MonkeyPatch, edit: Callable[[], object]) -> None:
    """Another agent's edit, committed after the deletion listed the tickets and before it reached them: what READ
    COMMITTED lets a transaction that waits for no lock do (moving a ticket away from a team waits for none)."""
    listing = removal._tickets_of

    def listed_first(obj):
        listed = list(listing(obj).order_by("pk").only("pk"))
        edit()
        return SimpleNamespace(order_by=lambda *_: SimpleNamespace(only=lambda *_: listed))

    monkeypatch.setattr(removal, "_tickets_of", listed_first)


def test_a_ticket_moved_to_another_team_meanwhile_keeps_it(monkeypatch, carol, bob, ticket, team):
    no_category_routing_to(team)
    sales = Team.objects.create(name="Sales")
    listed_then_edited(monkeypatch, lambda: ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(team=sales)))

    removal.team_delete(team=team, actor=carol)

    ticket.refresh_from_db()
    assert ticket.team == sales


def test_a_ticket_reassigned_meanwhile_keeps_its_new_assignee(monkeypatch, carol, bob, ticket):
    dave = user_create(email="dave@example.com", password=PASSWORD, name="Dave Agent", role=Role.AGENT)
    ticket_update(ticket=ticket, actor=carol, changes=TicketChanges(assignee=dave))
    listed_then_edited(
        monkeypatch, lambda: ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(assignee=bob))
    )

    removal.user_delete(user=dave, actor=carol)

    ticket.refresh_from_db()
    assert ticket.assignee == bob


@pytest.mark.parametrize(("field", "noun"), [("team", "team"), ("assignee", "agent"), ("category", "category")])
def test_an_edit_naming_what_was_deleted_after_it_was_chosen_is_refused_and_changes_nothing(
    carol, bob, ticket, field, noun
):
    """The form or request validated it while it existed; the database would only see it gone at commit."""
    chosen = {
        "team": lambda: Team.objects.create(name="Sales"),
        "assignee": lambda: user_create(email="dave@example.com", password=PASSWORD, name="Dave", role=Role.AGENT),
        "category": lambda: Category.objects.create(name="Refunds", slug="refunds"),
    }[field]()
    model = type(chosen)
    model.objects.filter(pk=chosen.pk).delete()

    with pytest.raises(InvalidValue) as refused:
        ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(priority=Priority.HIGH, **{field: chosen}))

    assert refused.value.details == {field: [f"This {noun} no longer exists."]}
    ticket.refresh_from_db()
    assert ticket.priority == Priority.NORMAL
    assert not TicketEvent.objects.filter(ticket=ticket, kind__in=[field, "priority"]).exists()


@pytest.mark.parametrize(("field", "noun"), [("team", "team"), ("assignee", "agent"), ("category", "category")])
def test_a_new_ticket_naming_what_was_deleted_after_it_was_chosen_is_refused_and_nothing_is_opened(
    alice, bob, field, noun
):
    """As for an edit: the new-ticket form, the API, an intake form or a mailbox chose it while it existed."""
    chosen = {
        "team": lambda: Team.objects.create(name="Sales"),
        "assignee": lambda: user_create(email="dave@example.com", password=PASSWORD, name="Dave", role=Role.AGENT),
        "category": lambda: Category.objects.create(name="Refunds", slug="refunds"),
    }[field]()
    type(chosen).objects.filter(pk=chosen.pk).delete()

    with pytest.raises(InvalidValue) as refused:
        ticket_create(requester=alice, actor=bob, subject="Refund", **{field: chosen})

    assert refused.value.details == {field: [f"This {noun} no longer exists."]}
    assert not Ticket.objects.filter(subject="Refund").exists()


def test_a_new_ticket_routed_by_its_category_to_a_team_deleted_meanwhile_is_refused(alice):
    sales = Team.objects.create(name="Sales")
    refunds = Category.objects.create(name="Refunds", slug="refunds", default_team=sales)
    Team.objects.filter(pk=sales.pk).delete()

    with pytest.raises(InvalidValue) as refused:
        ticket_create(requester=alice, subject="Refund", category=refunds)

    assert refused.value.details == {"team": ["This team no longer exists."]}


@pytest.mark.parametrize("on", ["its page", "delete selected"])
def test_a_team_with_more_tickets_than_one_deletion_changes_is_not_deleted_and_the_page_says_why(
    monkeypatch, client_for, carol, alice, ticket, team, on
):
    """Each ticket is an edit made in the request: past REMOVAL_LIMIT of them, it could outrun the server's timeout."""
    monkeypatch.setattr(removal, "REMOVAL_LIMIT", 1)
    another_ticket(alice, carol, team=team)
    client = client_for(carol)

    if on == "its page":
        response = delete_on_its_page(client, "admin:tickets_team_delete", team.pk)
    else:
        response = delete_selected(client, "admin:tickets_team_changelist", [team.pk])

    assert response.status_code == 200
    assert "2 tickets that would each lose “Support”: more than 1 to change at once." in response.content.decode()
    assert Team.objects.filter(pk=team.pk).exists()
    assert Ticket.objects.filter(team=team).count() == 2


def test_teams_chosen_together_with_more_tickets_between_them_than_one_deletion_changes_are_not_deleted(
    monkeypatch, client_for, carol, alice, ticket, team
):
    monkeypatch.setattr(removal, "REMOVAL_LIMIT", 1)
    sales = Team.objects.create(name="Sales")
    another_ticket(alice, carol, team=sales)

    response = delete_selected(client_for(carol), "admin:tickets_team_changelist", [team.pk, sales.pk])

    assert response.status_code == 200
    assert "2 tickets that would each lose one of the 2 chosen: more than 1" in response.content.decode()
    assert Team.objects.count() == 2
