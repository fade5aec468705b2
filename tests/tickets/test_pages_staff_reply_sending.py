"""Sending from the staff ticket page: a form sent twice reaches the requester once, a macro may be actions only,
a reply held because a message arrived asks for its files again (a page cannot send files back), and a reply
over the upload limit is refused before its files are spooled to disk."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Role
from accounts.services import user_create, user_update
from macros.models import Macro
from tests.support.html import shown_text, shows_as_text
from tickets.models import BODY_MAX_CHARS, Attachment, Comment, Priority, Team, TicketEvent, TicketEventKind
from tickets.services import comment_create


def seen_comment(client, ticket) -> str:
    """The newest message the page shows, as its reply form carries it."""
    body = client.get(reverse("staff_ticket_detail", args=[ticket.pk])).content.decode()
    return re.search(r'name="seen_comment" value="(\d+)"', body).group(1)


def test_a_reply_sent_twice_from_the_same_page_is_posted_once(bob, ticket, client_for):
    client = client_for(bob)
    form = {"mode": "reply", "body": "We refunded the second charge.", "seen_comment": seen_comment(client, ticket)}

    client.post(reverse("staff_ticket_reply", args=[ticket.pk]), form)
    second = client.post(reverse("staff_ticket_reply", args=[ticket.pk]), form)

    assert second.status_code == 302
    assert Comment.objects.filter(ticket=ticket, body="We refunded the second charge.").count() == 1


def test_a_different_reply_from_the_same_page_is_still_sent(bob, ticket, client_for):
    client = client_for(bob)
    seen = seen_comment(client, ticket)
    url = reverse("staff_ticket_reply", args=[ticket.pk])

    client.post(url, {"mode": "reply", "body": "First answer.", "seen_comment": seen})
    client.post(url, {"mode": "note", "body": "A note for the team.", "seen_comment": seen})

    assert Comment.objects.filter(ticket=ticket, author=bob).count() == 2


def test_an_actions_only_macro_is_applied_from_the_ticket_page(bob, ticket, client_for):
    macro = Macro.objects.create(name="Escalate", body="", owner=bob, set_priority=Priority.URGENT, add_tags="vip")

    response = client_for(bob).post(
        reverse("staff_ticket_reply", args=[ticket.pk]), {"mode": "reply", "body": "", "macro": macro.pk}, follow=True
    )

    ticket.refresh_from_db()
    assert ticket.priority == Priority.URGENT
    assert list(ticket.tags.values_list("name", flat=True)) == ["vip"]
    assert not Comment.objects.filter(ticket=ticket).exists()
    body = response.content.decode()
    assert "Macro “Escalate” applied." in body
    assert "Reply sent" not in body


def test_a_macro_with_text_sent_with_an_empty_box_posts_the_macros_text(bob, ticket, client_for):
    macro = Macro.objects.create(name="Thanks", body="Thanks for waiting.", owner=bob, set_priority=Priority.HIGH)

    client_for(bob).post(
        reverse("staff_ticket_reply", args=[ticket.pk]), {"mode": "reply", "body": "", "macro": macro.pk}
    )

    assert list(Comment.objects.filter(ticket=ticket).values_list("body", flat=True)) == ["Thanks for waiting."]


def test_a_macro_sent_twice_with_an_empty_box_from_the_same_page_is_posted_once(bob, ticket, client_for):
    macro = Macro.objects.create(name="Thanks", body="Thanks, {{ requester.first_name }}.", owner=bob)
    client = client_for(bob)
    form = {"mode": "reply", "body": "", "macro": macro.pk, "seen_comment": seen_comment(client, ticket)}

    client.post(reverse("staff_ticket_reply", args=[ticket.pk]), form)
    second = client.post(reverse("staff_ticket_reply", args=[ticket.pk]), form, follow=True)

    assert list(Comment.objects.filter(ticket=ticket).values_list("body", flat=True)) == ["Thanks, Alice."]
    assert "This message was already sent; it was not sent again." in second.content.decode()


def test_an_empty_reply_without_a_macro_is_still_refused(bob, ticket, client_for):
    response = client_for(bob).post(reverse("staff_ticket_reply", args=[ticket.pk]), {"mode": "reply", "body": "  "})

    assert "This field is required." in response.content.decode()
    assert not Comment.objects.filter(ticket=ticket).exists()


@pytest.mark.parametrize("mode", ["reply", "note"])
def test_an_empty_file_is_named_and_nothing_is_sent(bob, ticket, client_for, mode):
    files = [SimpleUploadedFile("invoice.pdf", b"%PDF-1.4"), SimpleUploadedFile("empty.log", b"")]

    response = client_for(bob).post(
        reverse("staff_ticket_reply", args=[ticket.pk]), {"mode": mode, "body": "Both files.", "attachments": files}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "“empty.log” is empty." in body
    assert "Both files.</textarea>" in body
    assert not Comment.objects.filter(ticket=ticket).exists() and not Attachment.objects.exists()


def test_a_held_reply_with_files_asks_for_them_again(alice, bob, ticket, client_for):
    client = client_for(bob)
    seen = seen_comment(client, ticket)
    comment_create(ticket=ticket, author=alice, body="Here is more detail")

    response = client.post(
        reverse("staff_ticket_reply", args=[ticket.pk]),
        {
            "body": "See the corrected invoice",
            "mode": "reply",
            "seen_comment": seen,
            "attachments": SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 corrected"),
        },
    )

    body = response.content.decode()
    assert "Not sent yet" in body
    assert re.search(r"Attach[^<]*invoice\.pdf[^<]*again", body)


def _reply_with_files(count: int, size: int) -> dict[str, object]:
    files = [SimpleUploadedFile(f"log{i}.txt", b"x" * size) for i in range(count)]
    return {"mode": "reply", "body": "Logs attached.", "attachments": files}


@pytest.mark.usefixtures("one_file_of_1_mb")
def test_a_reply_declaring_more_than_the_upload_limit_is_refused_unread(bob, ticket, client_for, upload_temp_dir):
    response = client_for(bob).post(reverse("staff_ticket_reply", args=[ticket.pk]), _reply_with_files(4, 1024 * 1024))

    assert response.status_code == 413
    assert shows_as_text(response.content.decode(), "larger than the 3.5 MB we accept")
    assert not ticket.comments.exists() and not Attachment.objects.exists()
    assert not any(upload_temp_dir.iterdir())


def test_a_macro_whose_team_was_deleted_says_nothing_changed_instead_of_applied(bob, ticket, client_for):
    escalations = Team.objects.create(name="Escalations")
    macro = Macro.objects.create(name="Escalate", body="", owner=bob, set_team=escalations)
    escalations.delete()

    response = client_for(bob).post(
        reverse("staff_ticket_reply", args=[ticket.pk]), {"mode": "reply", "body": "", "macro": macro.pk}, follow=True
    )

    body = " ".join(shown_text(response.content.decode()).split())
    assert "Macro “Escalate” applied." not in body
    assert "Nothing changed: macro “Escalate” has no text and no actions left" in body
    assert "the team or agent it set was deleted" in body
    ticket.refresh_from_db()
    assert ticket.team.name == "Support"


def test_a_macro_whose_actions_the_ticket_already_has_says_nothing_changed(bob, ticket, client_for):
    ticket.priority = Priority.HIGH
    ticket.save()
    macro = Macro.objects.create(name="Raise", body="", owner=bob, set_priority=Priority.HIGH)

    response = client_for(bob).post(
        reverse("staff_ticket_reply", args=[ticket.pk]), {"mode": "reply", "body": "", "macro": macro.pk}, follow=True
    )

    html = response.content.decode()
    body = " ".join(shown_text(html).split())
    assert "Macro “Raise” applied." not in body
    assert "Nothing changed: the ticket already has everything macro “Raise” sets." in body
    assert 'class="message message-info"' in html and "message-error" not in html  # told, not refused
    assert not TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.PRIORITY).exists()


def test_a_macro_with_text_is_applied_even_when_the_ticket_already_has_its_actions(bob, ticket, client_for):
    ticket.priority = Priority.HIGH
    ticket.save()
    macro = Macro.objects.create(name="Thanks", body="Thanks for waiting.", owner=bob, set_priority=Priority.HIGH)

    response = client_for(bob).post(
        reverse("staff_ticket_reply", args=[ticket.pk]), {"mode": "reply", "body": "", "macro": macro.pk}, follow=True
    )

    assert "Macro “Thanks” applied." in " ".join(shown_text(response.content.decode()).split())
    assert list(Comment.objects.filter(ticket=ticket).values_list("body", flat=True)) == ["Thanks for waiting."]


def test_a_macro_assigning_a_deactivated_agent_names_them_and_applies_nothing(bob, ticket, client_for):
    dave = user_create(email="dave@example.com", password="x" * 12, name="Dave Agent", role=Role.AGENT)
    macro = Macro.objects.create(
        name="To Dave", body="Dave will call you.", owner=bob, set_priority=Priority.HIGH, set_assignee=dave
    )
    user_update(user=dave, is_active=False)

    response = client_for(bob).post(
        reverse("staff_ticket_reply", args=[ticket.pk]), {"mode": "reply", "body": "", "macro": macro.pk}, follow=True
    )

    body = " ".join(shown_text(response.content.decode()).split())
    assert "Dave Agent is deactivated; the ticket was not assigned." in body
    assert "Macro “To Dave” applied." not in body
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.priority) == (None, Priority.NORMAL)
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_a_reply_longer_than_the_limit_is_refused_next_to_the_box_with_the_text_kept(bob, ticket, client_for):
    text = "x" * (BODY_MAX_CHARS + 1)

    response = client_for(bob).post(reverse("staff_ticket_reply", args=[ticket.pk]), {"mode": "note", "body": text})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Ensure this value has at most 65536 characters (it has 65537)." in page
    assert text in page
    assert not Comment.objects.filter(ticket=ticket).exists()
