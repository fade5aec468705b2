"""Every mail carries what lets a reply find its ticket: a signed Message-ID, In-Reply-To/References chaining the
earlier mails of the ticket, a signed Reply-To, the `[#123]` tag; plain text and HTML, with links built from
SITE_URL. `Auto-Submitted` marks only what no person wrote."""

from __future__ import annotations

from django.core import mail

from notifications.mail_ids import ticket_id_from_address, ticket_id_from_message_id
from tickets.services import comment_create


def test_replies_to_a_ticket_are_one_signed_thread(worker, ticket, bob, settings):
    settings.SITE_URL = "https://help.example.com"

    worker(lambda: comment_create(ticket=ticket, author=bob, body="First answer"))
    worker(lambda: comment_create(ticket=ticket, author=bob, body="Second answer"))
    worker(lambda: comment_create(ticket=ticket, author=bob, body="Third answer"))

    first, second, third = (message.extra_headers for message in mail.outbox)
    assert [ticket_id_from_message_id(headers["Message-ID"]) for headers in (first, second, third)] == [ticket.pk] * 3
    assert "In-Reply-To" not in first
    assert second["In-Reply-To"] == first["Message-ID"] and second["References"] == first["Message-ID"]
    assert third["In-Reply-To"] == second["Message-ID"]
    assert third["References"] == f"{first['Message-ID']} {second['Message-ID']}"
    # Written by an agent, not automatic: a helpdesk at the requester's end would drop an automatic answer.
    assert not any("Auto-Submitted" in headers for headers in (first, second, third))
    message = mail.outbox[0]
    assert [ticket_id_from_address(address) for address in message.reply_to] == [ticket.pk]
    assert message.subject.startswith(f"[#{ticket.pk}] ")
    assert f"https://help.example.com/tickets/{ticket.pk}/" in message.body
    html, mime = message.alternatives[0]
    assert mime == "text/html" and "<p>First answer</p>" in html and "https://help.example.com/tickets/" in html


def test_a_forged_message_id_does_not_verify(worker, ticket, bob):
    worker(lambda: comment_create(ticket=ticket, author=bob, body="Hello"))
    real = mail.outbox[0].extra_headers["Message-ID"]

    forged = real.replace(f"<t{ticket.pk}.", f"<t{ticket.pk + 1}.")

    assert ticket_id_from_message_id(forged) is None


def test_html_mail_escapes_what_people_typed(worker, alice, bob, category):
    from tickets.services import ticket_create

    ticket = ticket_create(requester=alice, subject="<script>alert(1)</script>", category=category)
    worker(lambda: comment_create(ticket=ticket, author=bob, body="ok"))

    html = mail.outbox[0].alternatives[0][0]
    assert "<script>" not in html


def test_a_reply_an_agent_wrote_reaches_a_helpdesk_at_the_other_end_and_a_confirmation_does_not(
    worker, alice, bob, category
):
    """Read by this helpdesk's own intake, standing for the requester's: the reply is a person's mail, the
    confirmation an automatic answer that must not start a loop."""
    from inbound.machine import auto_reply_reason
    from inbound.parsing import read_mail
    from tickets.services import ticket_create

    worker(lambda: ticket_create(requester=alice, subject="VPN down", category=category))
    ticket = alice.requested_tickets.get()
    worker(lambda: comment_create(ticket=ticket, author=bob, body="Restarted it."))

    to_alice = [message for message in mail.outbox if message.to == [alice.email]]
    confirmation, reply = (read_mail(message.message().as_bytes()) for message in to_alice)
    assert auto_reply_reason(confirmation).startswith("Auto-Submitted")
    assert auto_reply_reason(reply) == ""
