"""Who gets which mail, as users of Zendesk or Zammad expect: the requester hears of replies, resolution and their
new ticket; the assignee of assignment and requester replies; the team of new unassigned tickets. Nobody hears of
their own action, and an internal note never reaches a requester."""

from __future__ import annotations

from django.core import mail

from accounts.models import Role
from accounts.services import user_update
from notifications.models import Notification
from tickets.models import Status
from tickets.services import (
    TicketChanges,
    comment_create,
    ticket_change_status,
    ticket_create,
    ticket_merge,
    ticket_update,
)


def sent_to() -> list[tuple[str, str]]:
    return sorted((message.to[0], message.subject) for message in mail.outbox)


def test_a_new_ticket_confirms_its_number_to_the_requester_and_tells_the_team(worker, alice, bob, category):
    ticket = worker(lambda: ticket_create(requester=alice, subject="Printer on fire", category=category))

    assert sent_to() == [
        ("alice@example.com", f"[#{ticket.pk}] We received your request: Printer on fire"),
        ("bob@example.com", f"[#{ticket.pk}] new in Support: Printer on fire"),
    ]
    [confirmation] = [message for message in mail.outbox if message.to == ["alice@example.com"]]
    assert f"#{ticket.pk}" in confirmation.body


def test_an_agent_filing_a_ticket_for_their_own_team_is_not_told_of_it(worker, bob, category):
    worker(lambda: ticket_create(requester=bob, actor=bob, subject="Note to self", category=category))

    assert [message.subject for message in mail.outbox if "new in Support" in message.subject] == []


def test_a_ticket_filed_already_assigned_does_not_go_to_the_team(worker, alice, bob, carol, category):
    worker(lambda: ticket_create(requester=alice, actor=carol, subject="Direct", category=category, assignee=bob))

    assert not any("new in" in message.subject for message in mail.outbox)
    assert any(message.to == ["bob@example.com"] and "assigned to you" in message.subject for message in mail.outbox)


def test_an_agent_made_a_requester_before_the_assignment_mail_goes_out_is_not_sent_it(worker, ticket, bob, carol):
    """The handler runs after the change committed (seconds, or hours if the worker was down): by then Bob may no
    longer be staff, and the mail would hand a requester another requester's subject, name and staff link."""

    def assign_then_demote() -> None:
        ticket_update(ticket=ticket, actor=carol, changes=TicketChanges(assignee=bob))
        user_update(user=bob, actor=carol, role=Role.REQUESTER)

    worker(assign_then_demote)

    assert not any(message.to == ["bob@example.com"] for message in mail.outbox)


def test_an_unverified_sender_gets_no_confirmation(worker, alice, category):
    worker(lambda: ticket_create(requester=alice, subject="Typed by a guest", category=category, sender_verified=False))

    assert not any(message.to == ["alice@example.com"] for message in mail.outbox)


def test_the_assignee_hears_when_the_requester_replies_but_not_of_their_own_reply(worker, ticket, alice, bob, carol):
    worker(lambda: ticket_update(ticket=ticket, actor=carol, changes=TicketChanges(assignee=bob)))
    mail.outbox.clear()

    worker(lambda: comment_create(ticket=ticket, author=alice, body="Any news?"))
    worker(lambda: comment_create(ticket=ticket, author=bob, body="Looking now."))

    assert sent_to() == [
        ("alice@example.com", f"[#{ticket.pk}] Invoice is wrong"),
        ("bob@example.com", f"[#{ticket.pk}] Alice Requester replied: Invoice is wrong"),
    ]


def test_the_assignee_is_told_a_follower_replied_not_the_requester(worker, ticket, bob, carol, mallory):
    """A follower (Cc'd on the first mail) answers too; the subject must not put the requester's name on it."""
    worker(lambda: ticket_update(ticket=ticket, actor=carol, changes=TicketChanges(assignee=bob)))
    ticket.followers.add(mallory)
    mail.outbox.clear()

    worker(lambda: comment_create(ticket=ticket, author=mallory, body="Same problem here."))

    assert sent_to() == [("bob@example.com", f"[#{ticket.pk}] Mallory Requester replied: Invoice is wrong")]


def test_the_requester_is_mailed_the_notice_that_their_ticket_was_merged(worker, ticket, alice, bob, category):
    """The notice answers nothing (no first response, no "agent replied" rule), but it is written for them to read."""
    duplicate = ticket_create(requester=alice, subject="Invoice, again", category=category)
    mail.outbox.clear()

    worker(lambda: ticket_merge(source=duplicate, target=ticket, actor=bob))

    [notice] = [message for message in mail.outbox if message.to == ["alice@example.com"]]
    assert notice.subject == f"[#{duplicate.pk}] Invoice, again"
    assert f"merged into request #{ticket.pk}" in notice.body


def test_an_internal_note_never_reaches_the_requester(worker, ticket, bob):
    worker(lambda: comment_create(ticket=ticket, author=bob, body="Customer is difficult", internal=True))

    assert mail.outbox == []
    assert not Notification.objects.filter(address="alice@example.com").exists()


def test_an_agent_resolving_their_own_request_gets_no_resolution_mail(worker, bob, category):
    ticket = ticket_create(requester=bob, actor=bob, subject="My laptop", category=category)

    worker(lambda: ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED))

    assert not any("resolved" in message.subject for message in mail.outbox)


def test_assigning_yourself_sends_nothing(worker, ticket, bob):
    worker(lambda: ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(assignee=bob)))

    assert mail.outbox == []


def test_an_event_delivered_twice_mails_once(worker, ticket, bob):
    from events.models import Event
    from notifications.services import notifications_for_event

    worker(lambda: comment_create(ticket=ticket, author=bob, body="Refunded."))
    event = Event.objects.get(kind="comment.added")
    worker(lambda: notifications_for_event(event=event))  # delivered again (a retry after a crash)

    assert Notification.objects.filter(event=event).count() == 1
    assert len(mail.outbox) == 1
