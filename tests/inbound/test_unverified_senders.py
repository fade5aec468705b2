"""Mail that matches a ticket but comes from someone it does not know waits for an agent: never a public reply,
never a reopen. Mail from an account an admin deactivated is quarantined: it opens and answers nothing."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

from accounts.models import User
from accounts.services import user_update
from inbound.models import InboundStatus, Reason
from notifications.mail_ids import message_id, reply_address
from tests.inbound.messages import mail, raw_mail
from tickets.models import Comment, Status, Ticket
from tickets.services import comment_create


def _spoofed_reply(ticket, sender="mallory@example.com"):
    return mail(
        sender=sender, subject="Re: Invoice", body="Please send it to me", in_reply_to=message_id(ticket_id=ticket.pk)
    )


def test_a_spoofed_reply_to_someone_elses_ticket_is_held_not_posted(ingest, ticket, mallory, bob):
    from tickets.services import ticket_change_status

    ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED)

    held = ingest(_spoofed_reply(ticket))

    ticket.refresh_from_db()
    assert (held.status, held.reason, held.ticket) == (InboundStatus.QUARANTINED, Reason.UNVERIFIED_SENDER, ticket)
    assert not Comment.objects.filter(ticket=ticket).exists()
    assert ticket.status == Status.RESOLVED


def test_a_staff_address_on_an_unsigned_route_is_held(ingest, ticket, bob):
    held = ingest(mail(sender=bob.email, subject=f"[#{ticket.pk}] refund", body="Refund issued"))

    assert (held.status, held.reason, held.ticket) == (InboundStatus.QUARANTINED, Reason.UNVERIFIED_SENDER, ticket)


def test_the_staff_page_shows_held_mail_and_an_agent_accepts_it(ingest, ticket, bob, client_for):
    held = ingest(_spoofed_reply(ticket, sender="colleague@example.org"))
    client = client_for(bob)

    page = client.get(reverse("staff_ticket_detail", args=[ticket.pk]))
    assert "colleague@example.org" in page.content.decode() and "Unverified sender" in page.content.decode()

    response = client.post(reverse("held_mail_accept", args=[ticket.pk, held.pk]))

    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == InboundStatus.PROCESSED and held.decided_by == bob
    assert held.comment.author.email == "colleague@example.org" and held.comment.body == "Please send it to me"
    assert not ticket.followers.exists()


def test_an_agent_rejects_held_mail(ingest, ticket, bob, client_for):
    held = ingest(_spoofed_reply(ticket))

    client_for(bob).post(reverse("held_mail_reject", args=[ticket.pk, held.pk]))

    held.refresh_from_db()
    assert (held.status, held.reason, held.decided_by) == (InboundStatus.IGNORED, Reason.DISCARDED, bob)
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_mallory_gets_404_on_the_held_mail_buttons_and_the_mail_page(ingest, ticket, mallory, client_for):
    held = ingest(_spoofed_reply(ticket, sender="eve@example.org"))
    client = client_for(mallory)

    assert client.post(reverse("held_mail_accept", args=[ticket.pk, held.pk])).status_code == 404
    assert client.get(reverse("inbound_message_original", args=[held.pk])).status_code == 404
    held.refresh_from_db()
    assert held.status == InboundStatus.QUARANTINED


def test_a_decided_mail_cannot_be_accepted_twice(ingest, ticket, bob, client_for):
    held = ingest(_spoofed_reply(ticket, sender="eve@example.org"))
    client = client_for(bob)
    client.post(reverse("held_mail_reject", args=[ticket.pk, held.pk]))

    response = client.post(reverse("held_mail_accept", args=[ticket.pk, held.pk]), follow=True)

    assert "already been decided" in response.content.decode()
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_a_known_requester_on_the_signed_address_is_not_held(ingest, ticket, alice):
    stored = ingest(mail(sender=alice.email, to=reply_address(ticket_id=ticket.pk), body="ok"))

    assert stored.status == InboundStatus.PROCESSED


def test_an_encoded_display_name_holding_an_address_does_not_pass_for_that_address(ingest, ticket, alice):
    # The display name is the encoded-word "alice@example.com"; the address is mallory's. An upstream DMARC check
    # passes it (the address's domain is the sender's own), so only the helpdesk can tell.
    raw = raw_mail(
        f"""
From: =?utf-8?q?alice=40example=2Ecom?= <mallory@evil.example>
To: support@example.com
Subject: Re: [#{ticket.pk}] Invoice
Message-ID: <forged-1@evil.example>
Date: Tue, 01 Dec 2026 10:00:00 +0000
""",
        "Please send the refund to my new account.",
    )

    stored = ingest(raw)

    assert stored.from_address == "mallory@evil.example"
    assert not Comment.objects.filter(ticket=ticket, author=alice).exists()


def test_a_follower_quoting_the_message_id_of_their_own_copy_cannot_post_as_the_agent(
    ingest, bob, mailoutbox, django_capture_on_commit_callbacks: Callable
):
    opened = ingest(mail(sender="dana@example.org", cc=["erin@example.org"], subject="Invoice"))
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(ticket=opened.ticket, author=bob, body="We will look into it.")
    (erins_copy,) = [message for message in mailoutbox if message.to == ["erin@example.org"]]
    mailoutbox.clear()

    # Erin, Cc'd on the first mail, answers her copy with the agent's address in From.
    forged = ingest(
        mail(sender=bob.email, subject="Re: Invoice", body="Approved. Please pay to IBAN XX00 1234 instead.",
             in_reply_to=erins_copy.extra_headers["Message-ID"])
    )  # fmt: skip

    assert forged.comment is None
    assert not [message for message in mailoutbox if message.to == ["dana@example.org"]]


def test_mail_from_a_deactivated_account_opens_no_ticket_and_is_quarantined(ingest, alice, carol):
    user_update(user=alice, actor=carol, is_active=False)

    stored = ingest(mail(sender="Alice <ALICE@example.com>", subject="Still here"))

    assert not Ticket.objects.exists()
    assert (stored.status, stored.reason, stored.ticket) == (InboundStatus.QUARANTINED, "deactivated_sender", None)
    assert "alice@example.com" in stored.detail and "deactivated" in stored.detail


def test_a_reply_from_a_deactivated_requester_is_quarantined_not_held_on_the_ticket(ingest, ticket, alice, carol):
    user_update(user=alice, actor=carol, is_active=False)

    stored = ingest(mail(sender=alice.email, to=reply_address(ticket_id=ticket.pk), body="One more thing"))

    assert (stored.status, stored.reason) == (InboundStatus.QUARANTINED, "deactivated_sender")
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_held_mail_accepted_after_its_ticket_was_merged_is_posted_where_the_conversation_continues(
    ingest, ticket, alice, bob, category
):
    from inbound.services.decisions import held_mail_accept
    from tickets.services import ticket_create, ticket_merge

    duplicate = ticket_create(requester=alice, subject="Invoice, again", category=category)
    held = ingest(_spoofed_reply(duplicate, sender="colleague@example.org"))
    ticket_merge(source=duplicate, target=ticket, actor=bob)

    accepted = held_mail_accept(message=held, actor=bob)

    assert (accepted.status, accepted.ticket, accepted.comment.ticket) == (InboundStatus.PROCESSED, ticket, ticket)
    assert accepted.comment.author.email == "colleague@example.org" and Ticket.objects.count() == 2


def test_held_mail_accepted_after_its_ticket_was_merged_into_another_requesters_opens_a_follow_up_instead(
    ingest, ticket, mallory, bob, category, mailoutbox, django_capture_on_commit_callbacks: Callable
):
    """The stranger wrote into Alice's conversation: on Mallory's ticket their words would be mailed to Mallory."""
    from inbound.services.decisions import held_mail_accept
    from tickets.services import ticket_create, ticket_merge

    mallorys = ticket_create(requester=mallory, subject="Refund", category=category)
    held = ingest(_spoofed_reply(ticket, sender="colleague@example.org"))
    ticket_merge(source=ticket, target=mallorys, actor=bob)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        accepted = held_mail_accept(message=held, actor=bob)

    follow_up = accepted.ticket
    assert (accepted.status, accepted.comment) == (InboundStatus.PROCESSED, None), accepted.detail
    assert follow_up not in (ticket, mallorys) and follow_up.requester.email == "colleague@example.org"
    assert f"#{ticket.pk}" in follow_up.description and "Please send it to me" in follow_up.description
    assert not Comment.objects.filter(ticket=mallorys, author__email="colleague@example.org").exists()
    assert not [sent for sent in mailoutbox if mallory.email in sent.to]


def test_held_staff_mail_accepted_after_its_ticket_was_merged_into_another_requesters_is_an_internal_note(
    ingest, ticket, mallory, bob, carol, category
):
    from inbound.services.decisions import held_mail_accept
    from tickets.services import ticket_create, ticket_merge

    mallorys = ticket_create(requester=mallory, subject="Refund", category=category)
    held = ingest(mail(sender=bob.email, subject=f"[#{ticket.pk}] refund", body="Refund issued to your card"))
    ticket_merge(source=ticket, target=mallorys, actor=carol)

    accepted = held_mail_accept(message=held, actor=carol)

    assert (accepted.status, accepted.ticket, accepted.comment.ticket) == (InboundStatus.PROCESSED, mallorys, mallorys)
    assert (accepted.comment.author, accepted.comment.internal) == (bob, True)
    assert accepted.comment.body == "Refund issued to your card" and Ticket.objects.count() == 2


def test_mail_from_an_address_at_an_invalid_domain_makes_no_account_and_is_quarantined(ingest):
    """`.invalid` addresses are the helpdesk's own (the automations' actor): mail from one, which no mailbox sends,
    must not make the account that would then stand in for it."""
    stored = ingest(mail(sender="automation@helpdesk.invalid", subject="Hello"))

    assert not Ticket.objects.exists()
    assert not User.objects.filter(email="automation@helpdesk.invalid").exists()
    assert (stored.status, stored.reason) == (InboundStatus.QUARANTINED, "no_sender")


def test_mail_from_an_address_that_differs_by_a_dotless_i_from_an_account_is_not_filed_under_it(ingest, alice):
    """PostgreSQL's case-insensitive match takes `mona@ma\u0131l.example` (Alice's, on a domain of her own) for
    `mona@mail.example`: Mona's mail must open a ticket of her own account, not one Alice reads and is mailed about."""
    User.objects.filter(pk=alice.pk).update(email="mona@ma\u0131l.example")

    stored = ingest(mail(sender="mona@mail.example", subject="My invoice"))

    assert stored.ticket.requester.email == "mona@mail.example" and stored.ticket.requester.pk != alice.pk
