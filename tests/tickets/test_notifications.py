"""Emails go out only after the change commits, to the right people, and a mail failure never fails the request."""

from __future__ import annotations

from accounts.models import Role
from accounts.services import user_update
from notifications import services as notification_services
from notifications.models import Notification, NotificationStatus
from tickets.models import Comment, Status
from tickets.services import TicketChanges, comment_create, ticket_change_status, ticket_update


def test_staff_public_reply_emails_the_requester_after_commit(
    ticket, bob, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        comment_create(ticket=ticket, author=bob, body="Refund issued")
        assert mailoutbox == []  # nothing is sent before the transaction commits
    with django_capture_on_commit_callbacks(execute=True):  # the worker's part, and the mail it queues
        for callback in callbacks:
            callback()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["alice@example.com"]
    assert "Refund issued" in mailoutbox[0].body
    assert f"/tickets/{ticket.pk}/" in mailoutbox[0].body


def test_internal_notes_and_requester_replies_send_nothing(
    ticket, alice, bob, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(ticket=ticket, author=bob, body="psst", internal=True)
        comment_create(ticket=ticket, author=alice, body="any news?")
    assert mailoutbox == []


def test_resolving_tells_the_requester(ticket, bob, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED)
    # The status mail, and the satisfaction survey (csat) in its own mail.
    assert [m.to for m in mailoutbox if "resolved" in m.subject] == [["alice@example.com"]]


def test_assigning_someone_else_tells_them(ticket, bob, carol, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=ticket, actor=carol, changes=TicketChanges(assignee=bob))
        ticket_update(ticket=ticket, actor=carol, changes=TicketChanges(assignee=carol))
    assert [m.to for m in mailoutbox] == [["bob@example.com"]]


def test_a_failing_mail_server_keeps_the_reply_and_leaves_a_failed_mail_for_the_admin(
    api_client_for, ticket, bob, monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3

    def refuse(**kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(notification_services, "notification_deliver", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(bob).post(f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "hi"}, format="json")
    assert response.status_code == 201
    assert Comment.objects.filter(ticket=ticket, body="hi").exists()
    mail = Notification.objects.get(kind="public_reply")
    assert (mail.status, mail.attempts, mail.address) == (NotificationStatus.FAILED, 3, "alice@example.com")
    assert "smtp down" in mail.last_error


def test_followers_get_the_public_replies_but_never_internal_notes(
    ticket, bob, mallory, mailoutbox, django_capture_on_commit_callbacks
):
    ticket.followers.add(mallory)  # say, Cc'd on the requester's first mail

    with django_capture_on_commit_callbacks(execute=True):
        comment_create(ticket=ticket, author=bob, body="psst", internal=True)
        comment_create(ticket=ticket, author=bob, body="Refund issued")

    assert sorted(mail.to[0] for mail in mailoutbox) == ["alice@example.com", mallory.email]
    assert all("Refund issued" in mail.body and "psst" not in mail.body for mail in mailoutbox)


def test_a_followers_reply_mail_links_to_no_page_they_cannot_open(
    ticket, bob, mallory, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    """A follower (Cc'd, or the requester of a ticket merged into this one) may not open the ticket's page: a link
    to it would be a "not found" page. They answer by replying to the mail, which the mail says."""
    ticket.followers.add(mallory)

    with django_capture_on_commit_callbacks(execute=True):
        comment_create(ticket=ticket, author=bob, body="Refund issued")

    [to_follower] = [mail for mail in mailoutbox if mail.to == [mallory.email]]
    [to_requester] = [mail for mail in mailoutbox if mail.to == ["alice@example.com"]]
    page = f"/tickets/{ticket.pk}/"
    assert client_for(mallory).get(page).status_code == 404
    assert page not in to_follower.body
    assert all(page not in html for html, _ in to_follower.alternatives)
    assert "reply to this mail" in to_follower.body
    assert page in to_requester.body


def test_an_agent_demoted_to_requester_no_longer_gets_other_requesters_replies_by_mail(
    alice, bob, carol, ticket, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=ticket, actor=carol, changes=TicketChanges(assignee=bob))
    user_update(user=bob, actor=carol, role=Role.REQUESTER)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        comment_create(ticket=ticket, author=alice, body="My card ends in 4242.")

    assert [message.subject for message in mailoutbox if message.to == ["bob@example.com"]] == []
