"""Services write a domain event in the same transaction as the change, with ids and raw values."""

from __future__ import annotations

import pytest
from django.db import transaction

from accounts.models import Role
from accounts.services import user_update
from events.models import Event, EventKind
from tickets.models import Priority, Status
from tickets.services import (
    TicketChanges,
    comment_create,
    ticket_create,
    ticket_edit_content,
    ticket_merge,
    ticket_update,
)


def kinds(ticket) -> list[str]:
    return list(Event.objects.filter(ticket=ticket).values_list("kind", flat=True))


def test_opening_a_ticket_records_who_and_through_which_door(ticket, alice):
    event = Event.objects.get(ticket=ticket, kind=EventKind.TICKET_CREATED)
    assert (event.actor, event.internal) == (alice, False)
    assert event.payload == {"requester_id": alice.pk, "channel": "web"}


def test_a_change_that_rolls_back_leaves_no_event(alice, category):
    with pytest.raises(RuntimeError), transaction.atomic():
        ticket_create(requester=alice, subject="Never happened", category=category)
        raise RuntimeError
    assert not Event.objects.filter(kind=EventKind.TICKET_CREATED).exists()


def test_triage_changes_carry_ids_and_raw_values(ticket, bob, team):
    ticket_update(
        ticket=ticket,
        actor=bob,
        changes=TicketChanges(status=Status.OPEN, priority=Priority.HIGH, assignee=bob, tags=["vip", "Billing"]),
    )
    payloads = dict(
        Event.objects.filter(ticket=ticket).exclude(kind=EventKind.TICKET_CREATED).values_list("kind", "payload")
    )
    edit = {"edit": payloads[EventKind.STATUS_CHANGED]["cause"]["edit"]}  # one edit: the same token on each event
    assert payloads == {
        EventKind.STATUS_CHANGED: {"old": "new", "new": "open", "cause": edit},
        EventKind.PRIORITY_CHANGED: {"old": "normal", "new": "high", "cause": edit},
        EventKind.ASSIGNEE_CHANGED: {"old": None, "new": bob.pk, "cause": edit},
        EventKind.TAGS_CHANGED: {"old": [], "new": ["billing", "vip"], "cause": edit},
    }
    assert Event.objects.get(kind=EventKind.ASSIGNEE_CHANGED).internal is True


def test_a_public_staff_reply_says_it_answers_the_requester(ticket, bob):
    comment = comment_create(ticket=ticket, author=bob, body="Refunded")
    event = Event.objects.get(ticket=ticket, kind=EventKind.COMMENT_ADDED)
    assert event.payload == {
        "comment_id": comment.pk,
        "author_id": bob.pk,
        "internal": False,
        "answers_requester": True,
        "notice": False,
    }
    assert EventKind.REQUESTER_REPLIED not in kinds(ticket)


def test_a_merge_notice_is_public_but_answers_no_one(ticket, bob, category):
    """The notice is mailed to the requester (it is public), yet no rule, clock or report may take it for an answer."""
    duplicate = ticket_create(requester=ticket.requester, subject="Again", category=category)
    ticket_merge(source=duplicate, target=ticket, actor=bob)
    event = Event.objects.get(ticket=duplicate, kind=EventKind.COMMENT_ADDED)
    assert event.internal is False
    assert event.payload["answers_requester"] is False and event.payload["notice"] is True


def test_an_internal_note_is_an_internal_event(ticket, bob):
    comment_create(ticket=ticket, author=bob, body="psst", internal=True)
    event = Event.objects.get(ticket=ticket, kind=EventKind.COMMENT_ADDED)
    assert event.internal is True
    assert event.payload["answers_requester"] is False


def test_the_requester_replying_is_its_own_event(ticket, alice):
    comment = comment_create(ticket=ticket, author=alice, body="Any news?")
    event = Event.objects.get(ticket=ticket, kind=EventKind.REQUESTER_REPLIED)
    assert (event.actor, event.payload) == (alice, {"comment_id": comment.pk})


def test_editing_the_text_is_recorded(ticket, bob):
    ticket_edit_content(ticket=ticket, actor=bob, subject="Invoice 42 is wrong", description="Twice.")
    assert EventKind.TICKET_EDITED in kinds(ticket)


def test_a_role_change_is_recorded_without_a_ticket(alice, carol):
    user_update(user=alice, actor=carol, role=Role.AGENT)
    event = Event.objects.get(kind=EventKind.ROLE_CHANGED)
    assert (event.ticket, event.actor) == (None, carol)
    assert event.payload == {"user_id": alice.pk, "old": "requester", "new": "agent"}
