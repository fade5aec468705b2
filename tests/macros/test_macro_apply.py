"""Applying a macro posts its text and applies its actions through tickets.services, all or nothing."""

from __future__ import annotations

import pytest

from helpdesk.errors import InvalidTransition, NothingChanged, NotPermitted
from macros.models import Macro, MacroVisibility
from macros.services import macro_apply
from tickets.models import Comment, Priority, Status, TicketEvent, TicketEventKind
from tickets.services import TicketChanges, ticket_update


def test_macro_posts_its_text_and_applies_every_action(alice, bob, ticket, macro):
    comment = macro_apply(macro=macro, ticket=ticket, actor=bob)

    ticket.refresh_from_db()
    assert comment.body == f"Hi Alice, about #{ticket.pk}: could you send a screenshot? — Bob Agent"
    assert comment.internal is False
    assert ticket.status == Status.PENDING
    assert ticket.priority == Priority.HIGH
    assert ticket.assignee == bob
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["info", "waiting"]
    kinds = set(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert {"comment", "status", "priority", "assignee", "tags"} <= kinds


def test_the_agents_edited_text_is_posted_instead(bob, ticket, macro):
    comment = macro_apply(macro=macro, ticket=ticket, actor=bob, body="Edited by me")

    assert comment.body == "Edited by me"


def test_a_refused_status_leaves_nothing_behind(bob, ticket, macro):
    ticket.status = Status.CLOSED
    ticket.save()

    with pytest.raises(InvalidTransition):
        macro_apply(macro=macro, ticket=ticket, actor=bob)

    assert not Comment.objects.exists()
    ticket.refresh_from_db()
    assert ticket.priority == Priority.NORMAL


def test_a_personal_macro_of_someone_else_cannot_be_applied(carol, bob, ticket):
    from accounts.models import Role
    from accounts.services import user_create

    dave = user_create(email="dave@example.com", password="x" * 12, name="Dave Agent", role=Role.AGENT)
    private = Macro.objects.create(name="Mine", body="x", owner=dave, visibility=MacroVisibility.PERSONAL)

    with pytest.raises(NotPermitted):
        macro_apply(macro=private, ticket=ticket, actor=bob)


def test_an_action_only_macro_posts_nothing(bob, ticket):
    macro = Macro.objects.create(name="Escalate", owner=bob, set_priority=Priority.URGENT)

    assert macro_apply(macro=macro, ticket=ticket, actor=bob) is None
    ticket.refresh_from_db()
    assert ticket.priority == Priority.URGENT
    assert not TicketEvent.objects.filter(kind=TicketEventKind.COMMENT).exists()


@pytest.mark.parametrize(
    "actions",
    [
        {"set_priority": Priority.HIGH},
        {"add_tags": "vip"},
        {"assign_to_me": True},
        {"set_status": Status.OPEN},
        {"set_priority": Priority.HIGH, "add_tags": "vip", "assign_to_me": True, "set_status": Status.OPEN},
    ],
)
def test_a_macro_without_text_on_a_ticket_that_already_has_its_actions_says_nothing_changed(bob, ticket, actions):
    ticket_update(
        ticket=ticket,
        actor=bob,
        changes=TicketChanges(status=Status.OPEN, priority=Priority.HIGH, assignee=bob, tags=["vip"]),
    )
    macro = Macro.objects.create(name="Raise", owner=bob, **actions)
    events_before = TicketEvent.objects.filter(ticket=ticket).count()

    with pytest.raises(NothingChanged, match="the ticket already has everything macro “Raise” sets"):
        macro_apply(macro=macro, ticket=ticket, actor=bob)

    assert TicketEvent.objects.filter(ticket=ticket).count() == events_before


def test_a_macro_without_text_that_changes_one_thing_of_several_is_applied(bob, ticket):
    ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(priority=Priority.HIGH))
    macro = Macro.objects.create(name="Raise", owner=bob, set_priority=Priority.HIGH, add_tags="vip")

    assert macro_apply(macro=macro, ticket=ticket, actor=bob) is None
    assert list(ticket.tags.values_list("name", flat=True)) == ["vip"]
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.PRIORITY).count() == 1
