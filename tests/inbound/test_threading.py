"""Threading in the issue's order, and only through doors a stranger cannot open."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from accounts.services import user_update
from inbound.matching import ticket_for_mail
from inbound.models import InboundStatus, Reason
from inbound.parsing import REFERENCED_IDS_MAX, read_mail
from inbound.services import process
from notifications.mail_ids import message_id, reply_address
from tests.inbound.messages import mail, raw_mail
from tickets.models import Channel, Comment, Status, Ticket
from tickets.services import comment_create, ticket_change_status, ticket_create, ticket_merge


def test_a_new_mail_opens_a_ticket_by_email_for_a_new_unconfirmed_requester(ingest):
    from allauth.account.models import EmailAddress

    stored = ingest(mail(sender="Dana New <dana@example.org>", subject="VPN is down", body="Since 9:00."))

    ticket = Ticket.objects.get()
    assert stored.status == InboundStatus.PROCESSED and stored.ticket == ticket
    assert (ticket.subject, ticket.description, ticket.channel) == ("VPN is down", "Since 9:00.", Channel.EMAIL)
    assert ticket.requester.email == "dana@example.org"
    assert EmailAddress.objects.get(user=ticket.requester).verified is False


def test_a_new_requester_from_mail_is_named_as_in_the_from_header(ingest, alice):
    ingest(mail(sender="=?utf-8?q?Dana_J=C3=B6rgensen?= <dana@example.org>", subject="VPN", body="Down."))
    ingest(mail(sender="Someone Else <alice@example.com>", subject="Printer", body="Jammed."))
    ingest(mail(sender='"bob@example.com" <eve@example.org>', subject="Hi", body="It is me, Bob."))

    named = dict(Ticket.objects.values_list("requester__email", "requester__name"))
    # A known account keeps its name; a display name holding an address is not a name to show staff.
    assert named == {"dana@example.org": "Dana Jörgensen", "alice@example.com": alice.name, "eve@example.org": ""}


def test_a_reply_quoting_our_signed_message_id_lands_on_its_ticket(ingest, ticket, alice):
    raw = mail(
        sender=alice.email, subject="Re: whatever", body="Still broken.", in_reply_to=message_id(ticket_id=ticket.pk)
    )

    stored = ingest(raw)

    assert stored.ticket == ticket and stored.comment is not None
    assert (stored.comment.author, stored.comment.body, stored.comment.internal) == (alice, "Still broken.", False)
    assert "our signed Message-ID" in stored.detail


def test_a_reply_to_our_signed_address_lands_on_its_ticket(ingest, ticket, alice):
    stored = ingest(mail(sender=alice.email, to=reply_address(ticket_id=ticket.pk), subject="no tag", body="Hi"))

    assert stored.comment.ticket == ticket
    assert "signed reply address" in stored.detail


def test_a_forged_signature_is_not_a_thread(ingest, ticket, alice):
    forged = message_id(ticket_id=ticket.pk).replace(f"<t{ticket.pk}.", f"<t{ticket.pk + 1000}.")

    stored = ingest(mail(sender=alice.email, subject="Hello", in_reply_to=forged))

    assert stored.ticket != ticket and Ticket.objects.count() == 2


def test_a_reply_to_a_stored_message_of_the_ticket_lands_on_it(ingest, alice):
    first = ingest(mail(sender=alice.email, subject="Laptop", message_id="<first@mail.example.net>"))

    second = ingest(
        mail(sender=alice.email, subject="More", body="Also the charger.", references=["<first@mail.example.net>"])
    )

    assert second.ticket == first.ticket and second.comment.body == "Also the charger."
    assert Ticket.objects.count() == 1


def test_a_subject_tag_from_the_requester_lands_on_the_ticket(ingest, ticket, alice):
    stored = ingest(mail(sender=alice.email, subject=f"Re: [#{ticket.pk}] Invoice", body="Any news?"))

    assert stored.comment.ticket == ticket


def test_a_stranger_with_the_ticket_number_in_the_subject_gets_a_ticket_of_their_own(ingest, ticket, mallory):
    stored = ingest(mail(sender=mallory.email, subject=f"Re: [#{ticket.pk}] Invoice", body="Send me the invoice"))

    assert stored.ticket != ticket and stored.ticket.requester == mallory
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_a_reply_reopens_a_resolved_ticket_through_the_reply_rules(ingest, ticket, alice, bob):
    ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED)

    ingest(mail(sender=alice.email, subject="Re", body="Not fixed", in_reply_to=message_id(ticket_id=ticket.pk)))

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.events.filter(kind="status", new_value="open").exists()


def test_a_reply_to_a_closed_ticket_opens_a_follow_up(ingest, ticket, alice, bob):
    ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED)
    ticket_change_status(ticket=ticket, actor=bob, status=Status.CLOSED)

    stored = ingest(mail(sender=alice.email, subject="Re", body="Again", in_reply_to=message_id(ticket_id=ticket.pk)))

    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert stored.ticket != ticket and f"#{ticket.pk}" in stored.ticket.description


def test_cc_on_the_first_mail_become_followers(ingest):
    stored = ingest(mail(sender="dana@example.org", cc=["Erin <erin@example.org>", "support@example.com"]))

    assert list(stored.ticket.followers.values_list("email", flat=True)) == ["erin@example.org"]


def test_a_deactivated_account_in_cc_does_not_become_a_follower(ingest, alice, carol):
    user_update(user=alice, actor=carol, is_active=False)

    stored = ingest(mail(sender="dana@example.org", cc=[alice.email, "erin@example.org"]))

    assert list(stored.ticket.followers.values_list("email", flat=True)) == ["erin@example.org"]


def test_the_automations_actor_in_cc_does_not_become_a_follower(ingest):
    from automations.services import automation_actor

    actor = automation_actor()

    stored = ingest(mail(sender="dana@example.org", cc=[actor.email, "erin@example.org"]))

    assert stored.status == InboundStatus.PROCESSED
    assert list(stored.ticket.followers.values_list("email", flat=True)) == ["erin@example.org"]


def test_a_reserved_address_in_cc_gets_no_account_and_does_not_follow(ingest):
    stored = ingest(mail(sender="dana@example.org", cc=["forfeited-7-00aa@helpdesk.invalid", "eve@mail.invalid"]))

    assert stored.status == InboundStatus.PROCESSED and not stored.ticket.followers.exists()
    assert not User.objects.filter(email__endswith=".invalid").exists()


@pytest.mark.parametrize(
    "lookalike",
    [
        "automation@helpdesk.\u0131nvalid",  # a dotless i, which PostgreSQL's UPPER() takes for an i
        "automation@helpdesk.inv\u200balid",  # a zero-width space
        "automation@helpdesk.\uff49\uff4e\uff56\uff41\uff4c\uff49\uff44",  # fullwidth letters (NFKC: invalid)
        "automation@mail.helpdesk\uff0einvalid",  # a fullwidth full stop
        "erin@exam\u200bple.org",  # a zero-width space anywhere
        "erin@example.org\u2060",  # a word joiner
        "erin@exa\u200dmple.org",  # a zero-width joiner, which IDNA allows in no Latin label
        "automation@helpdesk.\u0456nvalid",  # a Cyrillic i (U+0456) among Latin letters
        "automation@helpdesk.\u0456\u043f\u0475\u0430l\u0456d",  # Cyrillic i, pe, izhitsa, a among Latin l and d
        "automation@helpdesk.\u0456\u043f\u0475\u0430\u04cf\u0456\u0501",  # Cyrillic letters alone
        "automation@helpdesk.\u03b9n\u03bd\u03b1l\u03b9d",  # Greek iota, nu, alpha among Latin letters
        "automation@helpdesk.\u026anvalid",  # a Latin small capital I, in one alphabet
        "automation@helpdesk.\u00ednvalid",  # an accented i
        "erin@example.c\u043em",  # a Cyrillic o (U+043E) among Latin letters: no top-level domain mixes alphabets
        "automation@helpdesk.xn--nvalid-ovf",  # the A-label of a Cyrillic i among Latin letters
        "erin@xn--example-j06c.org",  # the A-label of a zero-width joiner in a Latin label
    ],
)
def test_a_lookalike_of_a_reserved_address_in_cc_gets_no_account_and_does_not_follow(ingest, lookalike):
    """Mail to such an address goes where its plain form goes (IDNA maps these away), and the lookalike of the
    automations' actor would stand in for it on the ticket page."""
    stored = ingest(
        raw_mail(f"From: dana@example.org\nTo: support@example.com\nCc: {lookalike}, erin@example.org\nSubject: Hi")
    )

    assert stored.status == InboundStatus.PROCESSED
    assert list(stored.ticket.followers.values_list("email", flat=True)) == ["erin@example.org"]
    assert sorted(User.objects.values_list("email", flat=True)) == ["dana@example.org", "erin@example.org"]


def test_mail_from_a_lookalike_of_a_reserved_address_makes_no_account_and_is_quarantined(ingest):
    stored = ingest(raw_mail("From: automation@helpdesk.\u0131nvalid\nTo: support@example.com\nSubject: Hi"))

    assert (stored.status, stored.reason) == (InboundStatus.QUARANTINED, Reason.NO_SENDER)
    assert not User.objects.exists() and not Ticket.objects.exists()


@pytest.mark.parametrize("header", ["To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To"])
def test_a_recipient_header_of_deeply_nested_comments_names_no_one_and_the_mail_opens_its_ticket(ingest, header):
    """The stdlib's address parser recurses into comments: a deep enough nesting raises RecursionError, which must
    not fail the mail. The header names no recipient, the other headers still do."""
    nested = "(" * 5000 + "x" + ")" * 5000
    stored = ingest(
        raw_mail(
            f"From: dana@example.org\nTo: support@example.com\n{header}: {nested} <eve@example.org>\n"
            "Cc: erin@example.org\nSubject: Hi"
        )
    )

    assert stored.status == InboundStatus.PROCESSED, stored.detail
    assert stored.ticket.requester.email == "dana@example.org"
    assert list(stored.ticket.followers.values_list("email", flat=True)) == ["erin@example.org"]
    assert not User.objects.filter(email="eve@example.org").exists()


PERSIAN_DOMAIN = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645.ir"  # with the ZWNJ Persian writes it with


@pytest.mark.parametrize(
    "sender",
    [
        f"dana@{PERSIAN_DOMAIN}",
        "dana@\u0915\u094d\u200d\u0937.in",  # a ZWJ after a Devanagari virama
    ],
)
def test_mail_from_a_domain_needing_a_zero_width_joiner_opens_a_ticket_for_a_new_account(ingest, sender):
    """IDNA2008 allows a ZWNJ or ZWJ where the script needs it (CONTEXTJ): the address is no lookalike."""
    stored = ingest(raw_mail(f"From: {sender}\nTo: support@example.com\nCc: erin@{PERSIAN_DOMAIN}\nSubject: Hi"))

    assert stored.status == InboundStatus.PROCESSED, stored.detail
    assert stored.ticket.requester.email == sender
    assert list(stored.ticket.followers.values_list("email", flat=True)) == [f"erin@{PERSIAN_DOMAIN}"]


def test_mail_from_a_cyrillic_top_level_domain_opens_a_ticket(ingest):
    """`.рф` is a real top-level domain in one alphabet: no lookalike of `.invalid`."""
    sender = "dana@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444"
    stored = ingest(raw_mail(f"From: {sender}\nTo: support@example.com\nSubject: Hi"))

    assert stored.status == InboundStatus.PROCESSED, stored.detail
    assert stored.ticket.requester.email == sender


@pytest.mark.parametrize(
    ("sender", "why"),
    [
        ("dana@exa\u200dmple.org", "invisible characters"),  # a ZWJ in a Latin label, which IDNA refuses
        (f"dana@{PERSIAN_DOMAIN.replace(chr(0x200C), chr(0x200B))}", "invisible characters"),  # a zero-width space
        ("da\u200bna@example.org", "non-ASCII characters before the @"),  # where IDNA has no say
    ],
)
def test_mail_from_an_address_with_an_invisible_character_idna_refuses_is_quarantined_saying_why(ingest, sender, why):
    stored = ingest(raw_mail(f"From: {sender}\nTo: support@example.com\nSubject: Hi"))

    assert (stored.status, stored.reason) == (InboundStatus.QUARANTINED, Reason.NO_SENDER)
    assert why in stored.detail
    assert not User.objects.exists() and not Ticket.objects.exists()


def test_a_follower_replies_in_public(ingest):
    first = ingest(mail(sender="dana@example.org", cc=["erin@example.org"], message_id="<a1@x.example>"))

    reply = ingest(mail(sender="erin@example.org", subject="Re", body="Me too", in_reply_to="<a1@x.example>"))

    assert reply.comment.ticket == first.ticket and reply.comment.author.email == "erin@example.org"


def test_a_later_unknown_sender_in_cc_does_not_become_a_follower(ingest, ticket, alice):
    ingest(
        mail(sender=alice.email, cc=["frank@example.org"], subject="Re", in_reply_to=message_id(ticket_id=ticket.pk))
    )

    assert not ticket.followers.exists()


def test_an_agent_replying_to_the_signed_address_answers_in_public(ingest, ticket, bob, mailoutbox):
    stored = ingest(
        mail(
            sender=bob.email, to=reply_address(ticket_id=ticket.pk, recipient_id=bob.pk), subject="Re", body="Refunded."
        )
    )

    assert (stored.comment.author, stored.comment.internal) == (bob, False)
    assert any(message.to == ["alice@example.com"] for message in mailoutbox)


def test_a_duplicate_message_id_is_ignored(ingest, alice):
    ingest(mail(sender=alice.email, message_id="<same@x.example>", body="one"))

    again = ingest(mail(sender=alice.email, message_id="<same@x.example>", body="one, through another relay"))

    assert (again.status, again.reason) == (InboundStatus.IGNORED, Reason.DUPLICATE)
    assert Ticket.objects.count() == 1


def test_a_reply_to_a_notification_we_sent_lands_on_its_ticket_even_after_a_key_rotation(ingest, ticket, alice):
    from notifications.models import Notification, NotificationKind

    sent = Notification.objects.create(
        kind=NotificationKind.choices[0][0],
        recipient=alice,
        address=alice.email,
        ticket=ticket,
        key="test:rotated",
        subject="Re: the ticket",
        body_text="A reply",
        message_id="<t1.0123456789abcdef.signedwithanoldkey@helpdesk.example>",
    )

    stored = ingest(mail(sender=alice.email, subject="Thanks", body="Got it.", references=[sent.message_id]))

    assert stored.ticket == ticket and stored.comment.body == "Got it."
    assert "a Message-ID of the ticket" in stored.detail


def test_a_second_mail_in_a_follow_up_thread_lands_on_the_follow_up(ingest, ticket, bob):
    ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED)
    ticket_change_status(ticket=ticket, actor=bob, status=Status.CLOSED)
    ours = message_id(ticket_id=ticket.pk)
    first = ingest(
        mail(sender="alice@example.com", subject="Re: Invoice", body="Again", in_reply_to=ours,
             references=[ours], message_id="<again-1@mail.example.net>")
    )  # fmt: skip
    follow_up = first.ticket
    assert follow_up != ticket

    # Alice adds to what she just wrote: her client quotes her own mail, and the thread's older references.
    second = ingest(
        mail(sender="alice@example.com", subject="Re: Invoice", body="Screenshot attached.",
             in_reply_to="<again-1@mail.example.net>", references=[ours, "<again-1@mail.example.net>"])
    )  # fmt: skip

    assert second.ticket == follow_up and second.comment is not None
    assert Ticket.objects.count() == 2


def test_a_reply_to_the_merge_notice_lands_on_the_ticket_it_was_merged_into(ingest, ticket, alice, bob, category):
    duplicate = ticket_create(requester=alice, subject="Invoice, again", category=category)
    ticket_merge(source=duplicate, target=ticket, actor=bob)

    # "We will continue there": Alice answers the notice, which came from the merged ticket.
    answer = mail(
        sender=alice.email,
        subject="Re: Invoice, again",
        body="Thanks, one more detail.",
        in_reply_to=message_id(ticket_id=duplicate.pk),
    )
    stored = ingest(answer)

    assert stored.ticket == ticket and stored.comment is not None
    assert Ticket.objects.count() == 2


@pytest.fixture
def after_matching(monkeypatch: pytest.MonkeyPatch) -> Callable[[Callable[[], object]], None]:
    """Run `change` between the matching of a mail and the writing of its reply: what another worker or an agent
    committing in that moment looks like to the intake (the matching itself is the real one)."""

    def install(change: Callable[[], object]) -> None:
        def match_then_change(mail):
            match = ticket_for_mail(mail)
            change()
            return match

        monkeypatch.setattr(process, "ticket_for_mail", match_then_change)

    return install


def test_an_agents_mail_to_a_ticket_merged_meanwhile_is_posted_where_the_conversation_continues(
    ingest, ticket, alice, bob, category, after_matching
):
    duplicate = ticket_create(requester=alice, subject="Invoice, again", category=category)
    after_matching(lambda: ticket_merge(source=duplicate, target=ticket, actor=bob))

    stored = ingest(
        mail(
            sender=bob.email,
            to=reply_address(ticket_id=duplicate.pk, recipient_id=bob.pk),
            subject="Re: Invoice, again",
            body="Refunded.",
        )
    )

    assert (stored.status, stored.reason, stored.ticket) == (InboundStatus.PROCESSED, "", ticket), stored.detail
    assert (stored.comment.ticket, stored.comment.author, stored.comment.internal) == (ticket, bob, False)
    assert stored.comment.body == "Refunded." and f"#{duplicate.pk} was merged into #{ticket.pk}" in stored.detail


def test_a_requesters_mail_to_a_ticket_merged_meanwhile_is_posted_where_the_conversation_continues(
    ingest, ticket, alice, bob, category, after_matching
):
    duplicate = ticket_create(requester=alice, subject="Invoice, again", category=category)
    after_matching(lambda: ticket_merge(source=duplicate, target=ticket, actor=bob))

    stored = ingest(
        mail(sender=alice.email, subject="Re", body="One more detail.", in_reply_to=message_id(ticket_id=duplicate.pk))
    )

    assert (stored.status, stored.ticket) == (InboundStatus.PROCESSED, ticket), stored.detail
    assert (stored.comment.ticket, stored.comment.author, stored.comment.body) == (ticket, alice, "One more detail.")
    assert Ticket.objects.count() == 2


def test_a_requesters_mail_to_a_ticket_closed_meanwhile_opens_a_follow_up(ingest, ticket, alice, bob, after_matching):
    ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED)
    after_matching(lambda: ticket_change_status(ticket=ticket, actor=bob, status=Status.CLOSED))

    stored = ingest(mail(sender=alice.email, subject="Re", body="Again", in_reply_to=message_id(ticket_id=ticket.pk)))

    assert stored.status == InboundStatus.PROCESSED, stored.detail
    assert stored.ticket != ticket and f"#{ticket.pk}" in stored.ticket.description


@pytest.mark.parametrize("merged", ["before matching", "after matching"])
def test_a_requesters_mail_to_a_ticket_merged_into_another_requesters_goes_the_same_way_whenever_the_merge_came(
    ingest, ticket, alice, mallory, bob, category, after_matching, merged
):
    """Merged across requesters, Alice follows Mallory's ticket (ticket_merge): her mail is a follower's reply there,
    judged against the ticket it is written on, whether the merge came before or after the mail was matched."""
    mallorys = ticket_create(requester=mallory, subject="Refund", category=category)
    if merged == "before matching":
        ticket_merge(source=ticket, target=mallorys, actor=bob)
    else:
        after_matching(lambda: ticket_merge(source=ticket, target=mallorys, actor=bob))

    stored = ingest(
        mail(sender=alice.email, subject="Re", body="One more detail.", in_reply_to=message_id(ticket_id=ticket.pk))
    )

    assert (stored.status, stored.reason, stored.ticket) == (InboundStatus.PROCESSED, "", mallorys), stored.detail
    assert (stored.comment.ticket, stored.comment.author, stored.comment.internal) == (mallorys, alice, False)
    assert stored.detail.startswith(f"Reply from a follower ({alice.email})"), stored.detail


@pytest.mark.parametrize("merged", ["before matching", "after matching"])
def test_an_agents_mail_to_a_ticket_merged_into_another_requesters_is_an_internal_note_there(
    ingest, ticket, mallory, bob, category, after_matching, merged
):
    """The agent wrote to Alice; the merge keeps Alice's conversation from Mallory (its messages became internal
    notes on her ticket), so the agent's mail does not reach her either, as held staff mail accepted there does not."""
    mallorys = ticket_create(requester=mallory, subject="Refund", category=category)
    if merged == "before matching":
        ticket_merge(source=ticket, target=mallorys, actor=bob)
    else:
        after_matching(lambda: ticket_merge(source=ticket, target=mallorys, actor=bob))

    stored = ingest(mail(sender=bob.email, to=reply_address(ticket_id=ticket.pk, recipient_id=bob.pk), subject="Re",
                         body="Alice, the refund went to your card ending 4242."))  # fmt: skip

    assert (stored.status, stored.ticket) == (InboundStatus.PROCESSED, mallorys), stored.detail
    assert (stored.comment.ticket, stored.comment.author, stored.comment.internal) == (mallorys, bob, True)


def test_the_requester_of_the_ticket_merged_into_may_quote_the_merged_tickets_number(
    ingest, ticket, mallory, bob, category
):
    mallorys = ticket_create(requester=mallory, subject="Refund", category=category)
    ticket_merge(source=ticket, target=mallorys, actor=bob)

    stored = ingest(mail(sender=mallory.email, subject=f"Re: [#{ticket.pk}] Printer", body="Any news?"))

    assert (stored.status, stored.ticket, stored.comment.author) == (InboundStatus.PROCESSED, mallorys, mallory)


def test_a_mail_to_a_ticket_merged_meanwhile_is_held_when_its_sender_is_no_participant_where_it_would_go(
    ingest, ticket, alice, mallory, bob, category, after_matching
):
    mallorys = ticket_create(requester=mallory, subject="Refund", category=category)

    def merge_and_drop_alice() -> None:
        ticket_merge(source=ticket, target=mallorys, actor=bob)
        mallorys.followers.remove(alice)

    after_matching(merge_and_drop_alice)

    stored = ingest(
        mail(sender=alice.email, subject="Re", body="My card number", in_reply_to=message_id(ticket_id=ticket.pk))
    )

    assert (stored.status, stored.reason, stored.ticket) == (
        InboundStatus.QUARANTINED,
        Reason.UNVERIFIED_SENDER,
        mallorys,
    )
    assert not Comment.objects.filter(ticket=mallorys, author=alice, internal=False).exists()


def test_a_mail_to_a_ticket_merged_and_closed_meanwhile_names_the_closed_ticket_it_follows_up(
    ingest, ticket, alice, bob, category, after_matching
):
    duplicate = ticket_create(requester=alice, subject="Invoice, again", category=category)

    def merge_then_close() -> None:
        ticket_merge(source=duplicate, target=ticket, actor=bob)
        ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED)
        ticket_change_status(ticket=ticket, actor=bob, status=Status.CLOSED)

    after_matching(merge_then_close)

    stored = ingest(
        mail(sender=alice.email, subject="Re", body="Again", in_reply_to=message_id(ticket_id=duplicate.pk))
    )

    assert stored.status == InboundStatus.PROCESSED and stored.ticket not in (ticket, duplicate), stored.detail
    assert stored.detail == f"Follow-up of closed ticket #{ticket.pk}."
    assert f"Follow-up to ticket #{ticket.pk}," in stored.ticket.description


def test_the_first_answer_to_a_mailed_in_ticket_goes_under_the_requesters_mail_as_they_wrote_its_id(
    ingest, bob, mailoutbox, django_capture_on_commit_callbacks
):
    """Mail clients match In-Reply-To exactly: Outlook's and Gmail's Message-IDs are mixed case."""
    opening = "<CAFx9-VPN1@Mail.Example.NET>"
    stored = ingest(mail(sender="dana@example.org", subject="VPN down", message_id=opening))
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        comment_create(ticket=stored.ticket, author=bob, body="We are on it.")

    (answer,) = [message for message in mailoutbox if message.to == ["dana@example.org"]]
    assert answer.extra_headers["In-Reply-To"] == opening
    assert answer.extra_headers["References"] == opening


def test_only_the_nearest_referenced_ids_up_to_the_limit_are_looked_up():
    """Each referenced Message-ID costs a database look-up: the nearest REFERENCED_IDS_MAX count, older ones not."""
    references = [f"<old{number}@example.org>" for number in range(REFERENCED_IDS_MAX * 10)]
    parsed = read_mail(mail(sender="x@example.org", in_reply_to="<parent@example.org>", references=references))

    assert parsed.referenced_ids == [
        "<parent@example.org>",
        *(
            f"<old{number}@example.org>"
            for number in range(len(references) - 1, len(references) - REFERENCED_IDS_MAX, -1)
        ),
    ]
