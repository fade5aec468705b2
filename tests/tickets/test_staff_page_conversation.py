"""The staff ticket page's conversation, written in Python (tickets.staff_page), is what
templates/includes/conversation.html writes for the same ticket, byte for byte: user text escaped, internal notes
marked, files listed, mail linked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from helpdesk.templatetags.timestamps import timestamp
from inbound.selectors import comments_with_mail_source, ticket_page_mail
from tests.support.stored_mail import stored_mail
from tickets.models import Comment, Ticket
from tickets.selectors import comments_visible_to, conversation_of
from tickets.services import comment_create
from tickets.staff_page import _Clock, conversation_for, conversation_html


def include_html(user: User, ticket: Ticket) -> str:
    """What the page wrote through the include (with the selectors it used then)."""
    conversation = conversation_of(user, ticket, comments=comments_with_mail_source(comments_visible_to(user, ticket)))
    context = {
        "ticket": ticket,
        "comments": conversation.comments,
        "opening_attachments": conversation.opening_files,
        "ticket_mail": ticket_page_mail(ticket),
        "no_replies": "No replies yet.",
    }
    return render_to_string("includes/conversation.html", context)


def python_html(user: User, ticket: Ticket) -> str:
    mail = ticket_page_mail(ticket)
    return conversation_html(
        ticket, conversation_for(user, ticket), opening_mail_id=mail.opening.pk if mail.opening else None
    )


@pytest.fixture
def busy_ticket(alice, bob, ticket):
    bob.name = 'Bob <b>"the agent"</b> & co'
    bob.save()
    unnamed = User.objects.create_user(email="o'brien@example.com", password="x", role=bob.role)
    first = comment_create(ticket=ticket, author=bob, body="**Hello** <script>alert(1)</script>")
    comment_create(
        ticket=ticket, author=bob, body="Vendor case 42", internal=True, files=[SimpleUploadedFile("n.txt", b"x")]
    )
    comment_create(
        ticket=ticket,
        author=alice,
        body="Here",
        files=[SimpleUploadedFile("a<b>.txt", b"content"), SimpleUploadedFile("photo.png", b"x" * 3000)],
    )
    comment_create(ticket=ticket, author=unnamed, body="From the team")
    stored_mail(ticket, first)
    stored_mail(ticket, None)
    return Ticket.objects.select_related("requester").get(pk=ticket.pk)


def test_the_conversation_is_written_as_the_include_wrote_it(bob, busy_ticket):
    written = python_html(bob, busy_ticket)

    assert written == include_html(bob, busy_ticket)
    assert written.count("<article") == 5
    assert "<script>" not in written
    assert "&lt;b&gt;&quot;the agent&quot;&lt;/b&gt; &amp; co" in written
    assert "a&lt;b&gt;.txt" in written
    assert written.count("full mail") == 2
    assert written.count('<span class="badge badge-internal">Internal note</span>') == 1
    assert written.count('<ul class="attachments"') == 2


def test_a_ticket_without_replies_says_so_as_the_include_did(bob, ticket):
    ticket = Ticket.objects.select_related("requester").get(pk=ticket.pk)

    written = python_html(bob, ticket)

    assert written == include_html(bob, ticket)
    assert "No replies yet." in written


def test_the_opening_message_shows_its_files_and_a_stand_in_for_no_description(alice, bob, ticket):
    Ticket.objects.filter(pk=ticket.pk).update(description_html="")
    ticket.attachments.create(file="x.txt", filename="<opening>.txt", size=10)
    ticket = Ticket.objects.select_related("requester").get(pk=ticket.pk)

    written = python_html(bob, ticket)

    assert written == include_html(bob, ticket)
    assert "<p>(no description)</p>" in written
    assert "&lt;opening&gt;.txt" in written


def test_a_requester_would_not_see_internal_notes_or_their_files(alice, bob, busy_ticket):
    shown = conversation_for(alice, busy_ticket)

    assert [comment.internal for comment in shown.comments] == [False, False, False]
    assert "n.txt" not in [file.filename for comment in shown.comments for file in comment.files]


def test_the_newest_comment_id_is_the_mark_for_held_replies(bob, busy_ticket):
    shown = conversation_for(bob, busy_ticket)

    assert shown.last_comment_id == Comment.objects.filter(ticket=busy_ticket).latest("id").pk


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_times_are_written_as_the_timestamp_tag_writes_them(settings, zone):
    settings.TIME_ZONE = zone
    for moment in (datetime(2026, 1, 5, 23, 59, 59, 123456, tzinfo=UTC), datetime(2026, 7, 1, 0, 0, tzinfo=UTC)):
        with timezone.override(zone):
            assert _Clock().time(moment) == timestamp(moment, "muted")


def test_links_are_those_the_url_names_give(bob, busy_ticket):
    written = python_html(bob, busy_ticket)

    for file in busy_ticket.attachments.all():
        assert f'href="{reverse("attachment_download", args=[file.pk])}"' in written
