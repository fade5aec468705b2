"""Whose mail it is: the one address the From header names, read as mail clients read it when it is malformed, the
author of mailing-list mail rather than the list, and a clear reason when no address can be told."""

from __future__ import annotations

import pytest

from accounts.models import User
from inbound.models import InboundStatus, Reason
from notifications.mail_ids import message_id
from tests.inbound.messages import mail, raw_mail
from tickets.models import Comment, Ticket


def _from(header: str, *, extra: str = "") -> bytes:
    return raw_mail(
        f"From: {header}\nTo: support@example.com\n{extra}Subject: Printer\nMessage-ID: <m1@mail.example.net>\n"
        "Date: Tue, 01 Dec 2026 10:00:00 +0000",
        "The printer is on fire.",
    )


@pytest.mark.parametrize(
    "header",
    [
        '"Doe, John" <john@example.com',  # the closing > lost
        "john@example.com (John",  # the comment never closed
        'Sent on behalf of "John Doe" <john@example.com>',  # a bare display name, then the address
        "John Doe <john@example.com>>",
        "<John@Example.com",
    ],
)
def test_a_malformed_from_naming_one_address_opens_a_ticket_from_it(ingest, header):
    stored = ingest(_from(header))

    assert stored.status == InboundStatus.PROCESSED, stored.detail
    assert stored.from_address == "john@example.com"
    assert stored.ticket.requester.email == "john@example.com"


@pytest.mark.parametrize(
    ("header", "named"),
    [
        ("tim@powerupdev.com concierge@powerupdev.com", ("tim@powerupdev.com", "concierge@powerupdev.com")),
        ("John Doe <john@example.com> <jane@example.org>", ("john@example.com", "jane@example.org")),
        ('"Jane" <jane@example.org>, john@example.com', ("jane@example.org", "john@example.com")),
    ],
)
def test_a_from_naming_several_addresses_is_quarantined_naming_them(ingest, header, named):
    stored = ingest(_from(header))

    assert (stored.status, stored.reason) == (InboundStatus.QUARANTINED, Reason.NO_SENDER)
    assert "several addresses" in stored.detail and all(address in stored.detail for address in named)
    assert not Ticket.objects.exists() and not User.objects.exists()


def test_several_authors_in_from_with_one_sender_are_the_senders_mail(ingest):
    """RFC 5322 3.6.2: a From with several authors comes with the one Sender who sent it."""
    stored = ingest(_from("jane@example.org, john@example.com", extra="Sender: John <john@example.com>\n"))

    assert stored.status == InboundStatus.PROCESSED and stored.ticket.requester.email == "john@example.com"


@pytest.mark.parametrize("header", ['"Doe, John <john@example.com>', "Big Bug bb@bug.com", "Mail Delivery"])
def test_a_from_with_no_address_that_can_be_told_is_quarantined_quoting_it(ingest, header):
    stored = ingest(_from(header))

    assert (stored.status, stored.reason) == (InboundStatus.QUARANTINED, Reason.NO_SENDER)
    assert "no address" in stored.detail and header in stored.detail
    assert not Ticket.objects.exists()


def test_a_non_ascii_local_part_is_quarantined_saying_accounts_cannot_have_it(ingest):
    """RFC 6532 allows jdöe@example.com in a raw UTF-8 header; Django's EmailValidator, which every door that makes
    an account uses (sign-up, forms, the API), refuses it. The mail waits for an admin, who is told why."""
    raw = "From: Jöhn Döe <jdöe@example.com>\r\nTo: support@example.com\r\nSubject: Hi\r\n\r\nHello.\r\n".encode()

    stored = ingest(raw)

    assert (stored.status, stored.reason) == (InboundStatus.QUARANTINED, Reason.NO_SENDER)
    assert "jdöe@example.com" in stored.detail and "non-ASCII" in stored.detail
    assert not User.objects.exists()


def _google_groups_mail(*, original_from: str | None, reply_to: str | None) -> bytes:
    """Google Groups' headers, `Precedence: list` included: it marks every post so."""
    headers = {
        "Precedence": "list",
        "Sender": "support@googlegroups.com",
        "List-Id": "<support.googlegroups.com>",
        "List-Post": "<https://groups.google.com/group/support/post>, <mailto:support@googlegroups.com>",
        "Mailing-list": "list support@googlegroups.com; contact support+owners@googlegroups.com",
        "X-Google-Group-Id": "123456789012",
    }
    if original_from is not None:
        headers["X-Original-From"] = original_from
    if reply_to is not None:
        headers["Reply-To"] = reply_to
    return mail(sender="'Jane Doe' via Support <support@googlegroups.com>", headers=headers)


def test_google_groups_mail_is_the_authors_from_x_original_from(ingest):
    stored = ingest(
        _google_groups_mail(original_from="Jane Doe <jane@example.org>", reply_to="Jane <jane@example.org>")
    )

    requester = stored.ticket.requester
    assert (stored.from_address, requester.email, requester.name) == (
        "jane@example.org",
        "jane@example.org",
        "Jane Doe",
    )


def test_google_groups_mail_without_x_original_from_is_the_reply_to_authors(ingest):
    stored = ingest(_google_groups_mail(original_from=None, reply_to="Jane Doe <jane@example.org>"))

    assert stored.ticket.requester.email == "jane@example.org"


def test_list_mail_whose_reply_to_names_several_addresses_stays_the_lists(ingest):
    stored = ingest(_google_groups_mail(original_from=None, reply_to="jane@example.org, joe@example.org"))

    assert stored.ticket.requester.email == "support@googlegroups.com"


def test_list_mail_from_its_author_is_not_given_to_the_list_its_reply_to_names(ingest):
    """Mailman and Google Groups often set Reply-To to the list itself: the author in From stays the requester."""
    stored = ingest(
        mail(
            sender="Jane Doe <jane@example.org>",
            headers={
                "List-Id": "Support <support.lists.example.org>",
                "List-Post": "<mailto:support@lists.example.org>",
                "Reply-To": "support@lists.example.org",
            },
        )
    )

    assert stored.ticket.requester.email == "jane@example.org"


def test_reply_to_without_a_list_header_does_not_change_the_requester(ingest):
    stored = ingest(mail(sender="Jane Doe <jane@example.org>", headers={"Reply-To": "boss@example.org"}))

    assert stored.ticket.requester.email == "jane@example.org"


@pytest.mark.parametrize("rule", ["subject_tag", "signed_message_id"])
def test_list_headers_naming_the_requester_do_not_let_a_stranger_answer_their_ticket(ingest, alice, ticket, rule):
    """X-Original-From and Reply-To are written by whoever sends the mail, and nothing checks them (DMARC checks
    From): on an existing ticket the author a list names is held for an agent, never a reply as them. The signed
    route is one a follower has: the ticket's mail."""
    threading = (
        {"subject": f"Re: [#{ticket.pk}] Invoice"}
        if rule == "subject_tag"
        else {"in_reply_to": message_id(ticket_id=ticket.pk)}
    )
    stored = ingest(
        mail(
            sender="Mallory <mallory@evil.example>",
            body="Please send the invoice to my new address, mallory@evil.example.",
            headers={"List-Id": "<mallory.evil.example>", "X-Original-From": f"Alice <{alice.email}>"},
            **threading,
        )
    )

    assert (stored.status, stored.reason, stored.ticket) == (
        InboundStatus.QUARANTINED,
        Reason.UNVERIFIED_SENDER,
        ticket,
    )
    assert "X-Original-From" in stored.detail
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_google_groups_mail_naming_a_new_tickets_author_still_opens_it_for_them(ingest, alice):
    stored = ingest(_google_groups_mail(original_from=f"Alice <{alice.email}>", reply_to=None))

    assert stored.status == InboundStatus.PROCESSED and stored.ticket.requester == alice


def test_a_from_of_deeply_nested_comments_is_stored_and_quarantined_saying_why(ingest):
    """The stdlib's address parsers recurse into comments: a deep enough nesting raises RecursionError, which must
    not stop the door that received the mail (an IMAP poll would stop at it for ever)."""
    stored = ingest(_from("john@example.com " + "(" * 2000 + ")" * 2000))

    assert (stored.status, stored.reason) == (InboundStatus.QUARANTINED, Reason.NO_SENDER)
    assert not Ticket.objects.exists()


def test_a_from_of_ten_thousand_addresses_is_stored_and_quarantined_naming_a_few(ingest):
    """The door reads the sender too (an SMTP session waits on it): email.headerregistry's parser takes time that
    grows with the square of a header's length (70 s of CPU for 50,000 addresses), so a long From is read by
    email.utils alone, and the reason names the first addresses."""
    stored = ingest(_from(", ".join(f"user{number}@example.com" for number in range(10_000))))

    assert (stored.status, stored.reason) == (InboundStatus.QUARANTINED, Reason.NO_SENDER)
    assert "several addresses (user0@example.com, user1@example.com" in stored.detail
