"""Auto-replies and bounces never open, reopen or answer a ticket; bounces are recorded; loops are broken."""

from __future__ import annotations

import email
import secrets
from datetime import timedelta
from email import policy
from email.utils import parseaddr

import pytest
from django.utils import timezone

from inbound.models import BouncedAddress, InboundMessage, InboundStatus, Reason
from notifications.mail_ids import message_id
from tests.inbound.messages import mail, raw_mail
from tickets.models import Comment, Status, Ticket
from tickets.services import comment_create

OUT_OF_OFFICE = [
    {"Auto-Submitted": "auto-replied"},
    {"Precedence": "bulk"},
    {"Precedence": "junk"},
    {"Precedence": "list"},  # with no List-Id: no list's post
    {"Precedence": "list", "List-Id": "<support.example.org>", "Auto-Submitted": "auto-replied"},  # relayed by one
    {"X-Autoreply": "yes"},
    {"X-Auto-Response-Suppress": "All"},
]
OUT_OF_OFFICE_SUBJECTS = [
    "Out of Office: Invoice",
    "Automatic reply: Invoice",
    "Abwesenheitsnotiz: Rechnung",
    "Réponse automatique : Facture",
    "Respuesta automática: Factura",
    "Автоответ: Счёт",
    "自動応答: 請求書",
]


@pytest.mark.parametrize("headers", OUT_OF_OFFICE)
def test_an_auto_reply_to_a_resolved_ticket_does_nothing(ingest, ticket, alice, bob, mailoutbox, headers):
    from tickets.services import ticket_change_status

    ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED)
    mailoutbox.clear()

    stored = ingest(
        mail(sender=alice.email, subject="Re", in_reply_to=message_id(ticket_id=ticket.pk), headers=headers)
    )

    ticket.refresh_from_db()
    assert (stored.status, stored.reason) == (InboundStatus.IGNORED, Reason.AUTO_REPLY)
    assert ticket.status == Status.RESOLVED and not Comment.objects.exists() and mailoutbox == []


@pytest.mark.parametrize("subject", OUT_OF_OFFICE_SUBJECTS)
def test_an_out_of_office_subject_opens_no_ticket(ingest, subject):
    stored = ingest(mail(sender="away@example.org", subject=subject, body="I am away until Monday."))

    assert (stored.status, stored.reason) == (InboundStatus.IGNORED, Reason.AUTO_REPLY)
    assert not Ticket.objects.exists()


def test_auto_submitted_no_is_a_person(ingest):
    stored = ingest(mail(sender="dana@example.org", headers={"Auto-Submitted": "no"}))

    assert stored.status == InboundStatus.PROCESSED


def test_a_post_a_mailing_list_relays_is_a_persons_mail(ingest):
    """Google Groups and Mailman mark every post `Precedence: list`: a group used as the support address relays
    each customer's mail so."""
    stored = ingest(
        mail(
            sender="dana@example.org",
            headers={"Precedence": "list", "List-Id": "Support <support.example.org>"},
        )
    )

    assert stored.status == InboundStatus.PROCESSED
    assert stored.ticket.requester.email == "dana@example.org"


def _postfix_bounce(*, original_message_id: str, failed: str = "alice@example.com") -> bytes:
    return f"""\
From: MAILER-DAEMON@mx.example.com (Mail Delivery System)
To: helpdesk@example.com
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce-{original_message_id.strip("<>")}>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"

--BOUNDARY
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

--BOUNDARY
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; {failed}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <{failed}>: Recipient address rejected: User unknown

--BOUNDARY
Content-Type: text/rfc822-headers

From: helpdesk@example.com
To: {failed}
Subject: [#1] Invoice is wrong
Message-ID: {original_message_id}

--BOUNDARY--
""".replace("\n", "\r\n").encode()


def _exim_bounce(*, original_message_id: str, failed: str) -> bytes:
    """Exim's plain-text bounce: no delivery-status part, the failed address in X-Failed-Recipients."""
    return f"""\
From: Mail Delivery System <Mailer-Daemon@mail.example.org>
To: helpdesk@example.com
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: {failed}
Auto-Submitted: auto-replied
Message-ID: <exim-{original_message_id.strip("<>")}>

This message was created automatically by mail delivery software.

  {failed}
    SMTP error from remote mail server after RCPT TO:<{failed}>: 550 No such user

------ This is a copy of the message, including all the headers. ------

From: helpdesk@example.com
Message-ID: {original_message_id}
Subject: [#1] Invoice
""".replace("\n", "\r\n").encode()


def test_a_bounce_is_recorded_on_the_ticket_and_marks_the_address_bouncing(ingest, ticket, mailoutbox):
    mailoutbox.clear()

    stored = ingest(_postfix_bounce(original_message_id=message_id(ticket_id=ticket.pk)))

    assert (stored.status, stored.reason, stored.ticket) == (InboundStatus.IGNORED, Reason.BOUNCE, ticket)
    bounced = BouncedAddress.objects.get()
    assert (bounced.email, bounced.bounce_count, bounced.last_status) == ("alice@example.com", 1, "5.1.1")
    event = ticket.events.get(kind="bounce")
    assert event.internal and "alice@example.com" in event.new_value
    assert Ticket.objects.count() == 1 and not Comment.objects.exists() and mailoutbox == []


def test_an_exim_bounce_without_a_report_part_is_still_a_bounce(ingest, ticket):
    stored = ingest(_exim_bounce(original_message_id=message_id(ticket_id=ticket.pk), failed="gone@example.org"))

    assert (stored.reason, stored.ticket) == (Reason.BOUNCE, ticket)
    assert BouncedAddress.objects.filter(email="gone@example.org").exists()


def test_a_bounce_whose_report_parts_carry_comments_in_their_content_type_is_still_read(ingest, ticket):
    """`message/delivery-status (report)` is that type (RFC 2045 comments): the stdlib's get_content_type kept the
    comment in the type, and the report went unread."""
    raw = _postfix_bounce(original_message_id=message_id(ticket_id=ticket.pk))
    raw = raw.replace(b"Content-Type: message/delivery-status", b"Content-Type: message/delivery-status (report)")
    raw = raw.replace(b"Content-Type: text/rfc822-headers", b"Content-Type: text/rfc822-headers (the original)")

    stored = ingest(raw)

    assert (stored.reason, stored.ticket) == (Reason.BOUNCE, ticket)
    assert BouncedAddress.objects.get().last_status == "5.1.1"


def test_a_bounce_of_mail_we_did_not_send_opens_nothing(ingest):
    stored = ingest(_postfix_bounce(original_message_id="<someone-else@example.net>"))

    assert stored.reason == Reason.BOUNCE and stored.ticket is None and not Ticket.objects.exists()


def _exchange_text_bounce(*, original_message_id: str = "", failed: str = "gone@example.org") -> bytes:
    """A delivery failure as plain text from the server's own address, not MAILER-DAEMON (as Exchange sends them):
    the failed address in X-Failed-Recipients, the returned mail's headers copied into the text."""
    copied = f"Message-ID: {original_message_id}\n" if original_message_id else ""
    return raw_mail(
        f"""\
From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@mail.example.org>
To: helpdesk@example.com
Subject: Undeliverable: [#1] Invoice
X-Failed-Recipients: {failed}
Message-ID: <ndr-{secrets.token_hex(4)}@mail.example.org>
Content-Type: text/plain; charset=us-ascii""",
        f"""\
Delivery has failed to these recipients or groups:

{failed}
The email address you entered couldn't be found.

Original message headers:

From: helpdesk@example.com
{copied}Subject: [#1] Invoice""",
    )


def _relay_text_bounce(*, original_message_id: str) -> bytes:
    """A relay's plain-text failure notice: marked automatic (RFC 3834), a delivery-failure subject, no failed
    address in a header."""
    return raw_mail(
        f"""\
From: Mail Delivery <bounces@relay.example.net>
To: helpdesk@example.com
Subject: Delivery Status Notification (Failure)
Auto-Submitted: auto-replied
Message-ID: <dsn-{secrets.token_hex(4)}@relay.example.net>""",
        f"""\
Your message could not be delivered to one or more recipients.

---- Original message headers ----
From: helpdesk@example.com
Message-ID: {original_message_id}
Subject: [#1] Invoice""",
    )


def test_a_text_bounce_from_the_servers_own_address_is_recorded_on_the_ticket(ingest, ticket, mailoutbox):
    mailoutbox.clear()

    stored = ingest(_exchange_text_bounce(original_message_id=message_id(ticket_id=ticket.pk)))

    assert (stored.status, stored.reason, stored.ticket) == (InboundStatus.IGNORED, Reason.BOUNCE, ticket)
    assert BouncedAddress.objects.filter(email="gone@example.org").exists()
    assert "gone@example.org" in ticket.events.get(kind="bounce").new_value
    assert Ticket.objects.count() == 1 and not Comment.objects.exists() and mailoutbox == []


def test_an_automatic_mail_saying_delivery_failed_is_a_bounce_of_the_mail_it_quotes(ingest, ticket):
    stored = ingest(_relay_text_bounce(original_message_id=message_id(ticket_id=ticket.pk)))

    assert (stored.status, stored.reason, stored.ticket) == (InboundStatus.IGNORED, Reason.BOUNCE, ticket)
    assert ticket.events.filter(kind="bounce").exists()


@pytest.mark.parametrize(
    "copied",
    ["> Message-ID: {id}", "Message-ID:\n    {id}", ">   Message-Id:\n>\t{id}"],
    ids=["quoted", "folded", "quoted and folded"],
)
def test_a_daemons_text_bounce_finds_our_message_id_quoted_or_folded_in_its_text(ingest, ticket, copied):
    raw = raw_mail(
        """\
From: MAILER-DAEMON@mx.example.org
To: helpdesk@example.com
Subject: failure notice""",
        "Sorry, I couldn't deliver your message to <gone@example.org>.\n\n"
        "> From: helpdesk@example.com\n" + copied.format(id=message_id(ticket_id=ticket.pk)) + "\n> Subject: Invoice",
    )

    stored = ingest(raw)

    assert (stored.reason, stored.ticket) == (Reason.BOUNCE, ticket)


def test_a_text_bounce_quoting_none_of_our_mail_opens_and_answers_nothing(ingest, ticket):
    stored = ingest(_exchange_text_bounce())

    assert (stored.status, stored.reason, stored.ticket) == (InboundStatus.IGNORED, Reason.BOUNCE, None)
    assert Ticket.objects.count() == 1 and not Comment.objects.exists()


def test_a_person_asking_about_undeliverable_mail_gets_a_ticket(ingest):
    stored = ingest(mail(sender="dana@example.org", subject="Undeliverable: my mail to the printer vendor"))

    assert (stored.status, stored.ticket.subject) == (
        InboundStatus.PROCESSED,
        "Undeliverable: my mail to the printer vendor",
    )


def test_a_bouncing_address_is_cleared_when_its_owner_writes_again(ingest, ticket, alice):
    ingest(_postfix_bounce(original_message_id=message_id(ticket_id=ticket.pk)))

    ingest(mail(sender=alice.email, subject="Re", in_reply_to=message_id(ticket_id=ticket.pk)))

    assert not BouncedAddress.objects.exists()


def test_our_own_notification_coming_back_is_ignored(ingest, ticket):
    raw = mail(sender="someone@example.org", subject="[#1] Invoice", message_id=message_id(ticket_id=ticket.pk))

    stored = ingest(raw)

    assert (stored.status, stored.reason) == (InboundStatus.IGNORED, Reason.OWN_MAIL)


def test_mail_from_our_own_address_is_ignored(ingest):
    stored = ingest(mail(sender="support@example.com", subject="loop"))

    assert (stored.status, stored.reason) == (InboundStatus.IGNORED, Reason.OWN_MAIL)
    assert not Ticket.objects.exists()


def test_a_mail_loop_is_broken_after_the_sender_limit(ingest, settings):
    settings.INBOUND_SENDER_LIMIT = 3
    outcomes = [ingest(mail(sender="robot@example.org", subject=f"Ticket {n}")).status for n in range(5)]

    assert outcomes == [InboundStatus.PROCESSED] * 3 + [InboundStatus.QUARANTINED] * 2
    assert set(InboundMessage.objects.filter(status="quarantined").values_list("reason", flat=True)) == {
        Reason.SENDER_LOOP
    }
    assert Ticket.objects.count() == 3


def test_the_loop_breaker_forgets_mail_older_than_the_window(ingest, settings):
    settings.INBOUND_SENDER_LIMIT = 1
    first = ingest(mail(sender="robot@example.org", subject="old"))
    InboundMessage.objects.filter(pk=first.pk).update(received_at=timezone.now() - timedelta(minutes=11))

    second = ingest(mail(sender="robot@example.org", subject="new"))

    assert second.status == InboundStatus.PROCESSED


@pytest.mark.parametrize(
    "subject",
    ["Out of office message will not turn off", "Automatic reply not working since the update"],
)
def test_a_person_asking_about_their_out_of_office_gets_a_ticket(ingest, subject):
    stored = ingest(mail(sender="dana@example.org", subject=subject, body="Can someone help? I am at my desk."))

    assert stored.status == InboundStatus.PROCESSED, stored.detail
    assert stored.ticket.subject == subject


def test_our_own_mail_is_recognised_when_the_sender_setting_has_a_display_name(ingest, settings):
    # Django's documented form for DEFAULT_FROM_EMAIL; REPLY_ADDRESS defaults to it.
    settings.DEFAULT_FROM_EMAIL = settings.REPLY_ADDRESS = "Example Helpdesk <helpdesk@example.com>"

    stored = ingest(mail(sender="Example Helpdesk <helpdesk@example.com>", subject="Confirm your email address"))

    assert (stored.status, stored.reason) == (InboundStatus.IGNORED, Reason.OWN_MAIL)
    assert not Ticket.objects.exists()


GROUP = "support-group@googlegroups.com"
GROUP_HEADERS = {
    "Sender": GROUP,
    "List-Id": "<support-group.googlegroups.com>",
    "List-Post": f"<https://groups.google.com/group/support-group/post>, <mailto:{GROUP}>",
    "Mailing-list": f"list {GROUP}; contact support-group+owners@googlegroups.com",
    "X-Google-Group-Id": "123456789012",
    "Precedence": "list",
}


def _groups_ticket(ingest) -> Ticket:
    """A ticket whose requester is the group: a post it sent as itself, its Reply-To the list."""
    stored = ingest(mail(sender=f"Support Group <{GROUP}>", headers={**GROUP_HEADERS, "Reply-To": GROUP}))
    assert stored.ticket.requester.email == GROUP, stored.detail
    return stored.ticket


def _agents_reply_to_the_group(ticket: Ticket, bob, mailoutbox, django_capture_on_commit_callbacks):
    """The mail the helpdesk sends the group for an agent's public answer, as it left (Django's outbox)."""
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(ticket=ticket, author=bob, body="Restart the printer, please.")
    (sent,) = [message for message in mailoutbox if message.to == [GROUP]]
    return sent


def _relayed_by_the_group(sent: bytes, *, style: str) -> bytes:
    """`sent` as a list hands it to its members, the support mailbox among them. Google Groups: From rewritten to
    "'Name' via Group", the author in X-Original-From, Reply-To the list, a Message-ID of its own; In-Reply-To,
    References, the body and the sender's other headers kept ("google-groups"), or the sender's X- headers dropped
    ("x-headers-stripped"). Mailman's DMARC mitigation ("mailman-munged-from"): From rewritten, the author in Cc, no
    X-Original-From, the Message-ID kept."""
    message = email.message_from_bytes(sent, policy=policy.SMTP)
    author = message["From"]
    name = parseaddr(author)[0] or parseaddr(author)[1]
    replaced = ["From", "Reply-To", "Sender"]
    if style != "mailman-munged-from":
        replaced.append("Message-ID")
    if style == "x-headers-stripped":
        replaced += [key for key in message if key.lower().startswith("x-")]
    for header in replaced:
        del message[header]
    message["From"] = f"'{name}' via Support Group <{GROUP}>"
    message["Reply-To"] = GROUP
    for header, value in GROUP_HEADERS.items():
        message[header] = value
    if style == "mailman-munged-from":
        message["Cc"] = author
    else:
        message["Message-ID"] = f"<{secrets.token_hex(8)}@googlegroups.com>"
        message["X-Original-From"] = author
    return message.as_bytes()


@pytest.mark.parametrize("style", ["google-groups", "x-headers-stripped", "mailman-munged-from"])
@pytest.mark.parametrize("sender_setting", ["helpdesk@example.com", "Example Helpdesk <helpdesk@example.com>"])
def test_our_reply_to_a_group_coming_back_through_the_group_is_our_own_mail(
    ingest, bob, mailoutbox, django_capture_on_commit_callbacks, settings, style, sender_setting
):
    """The group redistributes the agent's answer to its members, the support mailbox among them: it is the
    helpdesk's own mail, never a second copy of the answer posted as the group's, which would reopen the ticket."""
    settings.DEFAULT_FROM_EMAIL = sender_setting
    ticket = _groups_ticket(ingest)
    sent = _agents_reply_to_the_group(ticket, bob, mailoutbox, django_capture_on_commit_callbacks)

    stored = ingest(_relayed_by_the_group(sent.message().as_bytes(), style=style))

    ticket.refresh_from_db()
    assert (stored.status, stored.reason) == (InboundStatus.IGNORED, Reason.OWN_MAIL), stored.detail
    assert list(ticket.comments.values_list("body", flat=True)) == ["Restart the printer, please."]
    assert ticket.status == Status.OPEN


def test_a_group_members_answer_to_our_reply_is_not_taken_for_our_own_mail(
    ingest, bob, mailoutbox, django_capture_on_commit_callbacks
):
    """A member's post has the shape of our echo (From "via" the group, our Message-ID in In-Reply-To), but its
    X-Original-From is theirs: it goes to the ticket, held for an agent, as any author a list's header names."""
    ticket = _groups_ticket(ingest)
    sent = _agents_reply_to_the_group(ticket, bob, mailoutbox, django_capture_on_commit_callbacks)
    answer = mail(
        sender=f"'Dana' via Support Group <{GROUP}>",
        subject=f"Re: {sent.subject}",
        body="Restarted; it works again.",
        in_reply_to=sent.extra_headers["Message-ID"],
        references=[sent.extra_headers["Message-ID"]],
        headers={**GROUP_HEADERS, "Reply-To": GROUP, "X-Original-From": "Dana <dana@example.org>"},
    )

    stored = ingest(answer)

    assert (stored.status, stored.reason, stored.ticket) == (
        InboundStatus.QUARANTINED,
        Reason.UNVERIFIED_SENDER,
        ticket,
    )
    assert stored.from_address == "dana@example.org"
