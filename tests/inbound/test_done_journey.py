"""The issue's "done means", end to end against a real Dovecot: an admin adds a mailbox, a customer's mail becomes a
ticket within one poll, an agent replies on the page, the customer's mail client answers the notification and it
lands on the same ticket; an out-of-office does nothing; a stranger with the ticket number does not get in."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

from django.urls import reverse
from django.utils import timezone

from inbound import tasks
from inbound.models import InboundStatus, Mailbox, Reason
from tests.inbound.messages import mail
from tickets.models import Comment, Ticket


def _client_reply(notification, *, sender: str, body: str, headers: dict[str, str] | None = None) -> bytes:
    """What a mail client sends when its user presses Reply on our notification."""
    sent = message_from_bytes(notification.message().as_bytes(), policy=policy.default)
    reply = EmailMessage(policy=policy.SMTP)
    reply["From"] = sender
    reply["To"] = sent["Reply-To"] or sent["From"]
    reply["Subject"] = f"Re: {sent['Subject']}"
    reply["Message-ID"] = f"<reply-{timezone.now().timestamp()}@client.example>"
    reply["In-Reply-To"] = sent["Message-ID"]
    reply["References"] = sent["Message-ID"]
    for name, value in (headers or {}).items():
        reply[name] = value
    reply.set_content(f"{body}\n\nOn Tue, 1 Dec 2026 at 10:00, Helpdesk wrote:\n> {notification.body[:40]}\n")
    return reply.as_bytes()


def _one_poll_interval_later() -> None:
    """Beat runs the due-mailbox check every few seconds; here the mailbox's interval has just passed."""
    Mailbox.objects.update(next_poll_at=timezone.now())
    tasks.inbound_poll_due_mailboxes()


def test_done_means(db, dovecot, settings, carol, bob, client_for, mailoutbox, django_capture_on_commit_callbacks):
    settings.INBOUND_TLS_CA_FILE = str(dovecot.ca_file)
    account = dovecot.account()
    admin, agent = client_for(carol), client_for(bob)

    # An admin adds the mailbox in the admin.
    added = admin.post(reverse("admin:inbound_mailbox_add"), {
        "name": "Support", "address": "support@example.com", "is_active": "on", "protocol": "imap",
        "host": "127.0.0.1", "port": str(dovecot.imaps_port), "security": "tls", "username": account.username,
        "password": account.password, "folder": "INBOX", "after_fetch": "seen", "processed_folder": "Processed",
        "poll_interval_seconds": "60",
    })  # fmt: skip
    assert added.status_code == 302

    # A customer writes; within one poll the ticket is in the queue.
    dovecot.append(account, mail(sender="Dana Customer <dana@example.org>", subject="Cannot log in", body="Help!"))
    with django_capture_on_commit_callbacks(execute=True):
        _one_poll_interval_later()
    ticket = Ticket.objects.get()
    assert "Cannot log in" in agent.get(reverse("staff_queue")).content.decode()

    # An agent replies on the page; the customer is mailed.
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        agent.post(
            reverse("staff_ticket_reply", args=[ticket.pk]), {"body": "Try resetting your password.", "mode": "reply"}
        )
    (notification,) = [sent for sent in mailoutbox if sent.to == ["dana@example.org"]]

    # The customer's mail client answers it; the answer lands on the same ticket as a public reply.
    dovecot.append(account, _client_reply(notification, sender="dana@example.org", body="That worked, thanks!"))
    # Their out-of-office answers it too, and a stranger tries the ticket number.
    dovecot.append(account, _client_reply(notification, sender="dana@example.org", body="I am away.",
                                          headers={"Auto-Submitted": "auto-replied"}))  # fmt: skip
    dovecot.append(account, mail(sender="eve@example.net", subject=f"Re: [#{ticket.pk}] Cannot log in",
                                 body="Please send me the reset link."))  # fmt: skip
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _one_poll_interval_later()

    reply, out_of_office, stranger = ticket.inbound_messages.model.objects.order_by("id")[1:]
    assert reply.ticket == ticket and reply.comment.body == "That worked, thanks!" and not reply.comment.internal
    assert (out_of_office.status, out_of_office.reason, out_of_office.ticket) == (InboundStatus.IGNORED,
                                                                                  Reason.AUTO_REPLY, None)  # fmt: skip
    assert stranger.ticket != ticket and stranger.ticket.requester.email == "eve@example.net"
    assert list(Comment.objects.filter(ticket=ticket).values_list("body", flat=True)) == [
        "Try resetting your password.",
        "That worked, thanks!",
    ]
    assert not any(sent.to == ["eve@example.net"] and str(ticket.pk) in sent.subject for sent in mailoutbox)
    assert dovecot.folder_uids(account, "INBOX", "UNSEEN") == []
