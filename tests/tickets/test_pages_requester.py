from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tickets.models import BODY_MAX_CHARS, Attachment, Comment, Status, Ticket, TicketEvent, TicketEventKind
from tickets.services import TicketChanges, comment_create, ticket_change_status, ticket_create, ticket_update


def test_requester_sees_her_tickets_with_their_status(alice, ticket, client_for):
    response = client_for(alice).get(reverse("ticket_list"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Invoice is wrong" in body
    assert "badge-status-new" in body


def test_requester_does_not_see_other_requesters_tickets(alice, mallory, ticket, client_for):
    ticket_create(requester=mallory, subject="Mallory's printer")

    body = client_for(alice).get(reverse("ticket_list")).content.decode()

    assert "Invoice is wrong" in body
    assert "Mallory&#x27;s printer" not in body


def test_my_tickets_are_listed_newest_first(alice, client_for):
    ticket_create(requester=alice, subject="First problem")
    ticket_create(requester=alice, subject="Second problem")

    body = client_for(alice).get(reverse("ticket_list")).content.decode()

    assert body.index("Second problem") < body.index("First problem")


def test_my_tickets_are_paginated(alice, client_for):
    for number in range(27):
        ticket_create(requester=alice, subject=f"Problem {number:02}")

    first = client_for(alice).get(reverse("ticket_list")).content.decode()
    second = client_for(alice).get(reverse("ticket_list"), {"page": 2}).content.decode()

    assert "Problem 26" in first and "Problem 01" not in first
    assert "Problem 01" in second and "Problem 00" in second
    assert "Page 2 of 2" in second


def test_requester_sees_her_ticket_page(alice, ticket, client_for):
    response = client_for(alice).get(reverse("ticket_detail", args=[ticket.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Invoice is wrong" in body
    assert "Charged twice." in body
    assert "Status:" in body and "New" in body
    assert 'action="{}"'.format(reverse("ticket_reply", args=[ticket.pk])) in body


def test_mallory_gets_404_on_alices_ticket_page(mallory, ticket, client_for):
    response = client_for(mallory).get(reverse("ticket_detail", args=[ticket.pk]))

    assert response.status_code == 404


def test_mallory_gets_404_when_replying_to_alices_ticket(mallory, ticket, client_for):
    response = client_for(mallory).post(reverse("ticket_reply", args=[ticket.pk]), {"body": "Let me in"})

    assert response.status_code == 404
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_an_empty_file_on_a_reply_is_named_and_the_typed_text_kept(alice, ticket, client_for):
    upload = SimpleUploadedFile("export.csv", b"", content_type="text/csv")

    response = client_for(alice).post(
        reverse("ticket_reply", args=[ticket.pk]), {"body": "The export is attached.", "attachments": upload}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "“export.csv” is empty." in body
    assert "The export is attached.</textarea>" in body
    assert not Comment.objects.filter(ticket=ticket).exists() and not Attachment.objects.exists()


def test_requester_never_sees_internal_notes(alice, bob, ticket, client_for):
    comment_create(ticket=ticket, author=bob, body="Looks like fraud, check with finance", internal=True)
    comment_create(ticket=ticket, author=bob, body="We are looking into it")

    body = client_for(alice).get(reverse("ticket_detail", args=[ticket.pk])).content.decode()

    assert "We are looking into it" in body
    assert "Looks like fraud" not in body
    assert "Internal note" not in body


def test_requester_never_sees_internal_events(alice, bob, team, ticket, client_for):
    ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(assignee=bob, tags=["vip"]))
    ticket_change_status(ticket=ticket, actor=bob, status=Status.PENDING)

    body = client_for(alice).get(reverse("ticket_detail", args=[ticket.pk])).content.decode()

    assert "Status changed" in body
    assert "Assignee changed" not in body
    assert "Tags changed" not in body
    assert "vip" not in body


def test_staff_opening_the_requester_page_is_sent_to_the_staff_page(bob, ticket, client_for):
    response = client_for(bob).get(reverse("ticket_detail", args=[ticket.pk]))

    assert response.status_code == 302
    assert response.url == reverse("staff_ticket_detail", args=[ticket.pk])


def test_new_ticket_form_offers_only_active_categories(alice, category, client_for):
    category.__class__.objects.create(name="Retired", slug="retired", is_active=False)

    body = client_for(alice).get(reverse("ticket_new")).content.decode()

    assert ">Billing</option>" in body
    assert "Retired" not in body
    assert 'type="file" name="attachments"' in body and "multiple" in body


def test_requester_creates_a_ticket_with_an_attachment_and_lands_on_it(alice, category, client_for):
    upload = SimpleUploadedFile("screenshot.png", b"\x89PNG\r\n\x1a\nfake", content_type="image/png")

    response = client_for(alice).post(
        reverse("ticket_new"),
        {"category": category.pk, "subject": "VPN drops", "description": "Every hour.", "attachments": [upload]},
        follow=True,
    )

    ticket = Ticket.objects.get(subject="VPN drops")
    assert ticket.requester == alice
    assert ticket.category == category
    assert response.redirect_chain == [(reverse("ticket_detail", args=[ticket.pk]), 302)]
    body = response.content.decode()
    assert f"Ticket #{ticket.pk} was created" in body
    attachment = Attachment.objects.get(ticket=ticket, comment=None)
    assert attachment.filename == "screenshot.png"
    assert reverse("attachment_download", args=[attachment.pk]) in body
    assert body.count("Every hour.") == 1


def test_new_ticket_without_a_subject_shows_the_error_next_to_the_field(alice, client_for):
    response = client_for(alice).post(reverse("ticket_new"), {"subject": "", "description": "Help"})

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_subject_error"' in body
    assert 'aria-describedby="id_subject_error"' in body
    assert not Ticket.objects.exists()


def test_a_refused_reply_names_the_files_to_choose_again(alice, ticket, client_for):
    data = {"body": " ", "attachments": SimpleUploadedFile("invoice.pdf", b"%PDF")}

    body = client_for(alice).post(reverse("ticket_reply", args=[ticket.pk]), data).content.decode()

    assert "Your reply was not sent" in body
    assert "Not attached yet: “invoice.pdf”. Choose the files again." in body
    assert not Attachment.objects.exists()


def test_requester_reply_shows_up_in_the_conversation(alice, ticket, client_for):
    response = client_for(alice).post(
        reverse("ticket_reply", args=[ticket.pk]), {"body": "Any news on **this**?"}, follow=True
    )

    body = response.content.decode()
    assert "Your reply was sent." in body
    assert "<strong>this</strong>" in body
    assert ticket.comments.get().author == alice


def test_requester_reply_to_a_resolved_ticket_reopens_it(alice, bob, ticket, client_for):
    ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED)

    client_for(alice).post(reverse("ticket_reply", args=[ticket.pk]), {"body": "Still broken"})

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.events.filter(kind=TicketEventKind.STATUS, new_value=Status.OPEN, actor=alice).exists()


def test_too_large_attachment_is_refused_next_to_the_field(alice, ticket, client_for, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    upload = SimpleUploadedFile("big.pdf", b"x" * 20)

    response = client_for(alice).post(
        reverse("ticket_reply", args=[ticket.pk]), {"body": "See file", "attachments": [upload]}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_attachments_error"' in body
    assert "“big.pdf” is too large." in body
    assert not ticket.comments.exists()


@pytest.mark.usefixtures("one_file_of_1_mb")
def test_a_reply_declaring_more_than_the_upload_limit_is_refused_unread(alice, ticket, client_for, upload_temp_dir):
    uploads = [SimpleUploadedFile(f"big{i}.pdf", b"x" * 1024 * 1024) for i in range(4)]

    response = client_for(alice).post(
        reverse("ticket_reply", args=[ticket.pk]), {"body": "See file", "attachments": uploads}
    )

    assert response.status_code == 413
    assert not ticket.comments.exists()
    assert not any(upload_temp_dir.iterdir())


def test_closed_ticket_says_so_and_offers_no_reply_form(alice, bob, ticket, client_for):
    ticket_change_status(ticket=ticket, actor=bob, status=Status.CLOSED)

    body = client_for(alice).get(reverse("ticket_detail", args=[ticket.pk])).content.decode()

    assert "This ticket is closed" in body
    assert reverse("ticket_reply", args=[ticket.pk]) not in body


def test_reply_to_a_closed_ticket_gets_a_message_not_an_error_page(alice, bob, ticket, client_for):
    ticket_change_status(ticket=ticket, actor=bob, status=Status.CLOSED)

    response = client_for(alice).post(reverse("ticket_reply", args=[ticket.pk]), {"body": "Hello?"})

    assert response.status_code == 200
    assert "This ticket is closed. Please open a new ticket." in response.content.decode()
    assert not ticket.comments.exists()


@pytest.mark.parametrize("ticket_count", [3, 30])
def test_my_tickets_page_runs_the_same_queries_however_many_tickets(
    alice, category, client_for, django_assert_max_num_queries, ticket_count
):
    for number in range(ticket_count):
        ticket = ticket_create(requester=alice, subject=f"Problem {number}", category=category)
        ticket.tags.create(name=f"tag-{number}")
    client = client_for(alice)

    # session, user, count, tickets, their tags
    with django_assert_max_num_queries(5):
        assert client.get(reverse("ticket_list")).status_code == 200


def test_ticket_page_queries_do_not_grow_with_the_conversation(
    alice, bob, ticket, client_for, django_assert_max_num_queries
):
    for number in range(10):
        comment_create(ticket=ticket, author=bob, body=f"Reply {number}")
    client = client_for(alice)

    # session, user, ticket, tags, comments, attachments, events, satisfaction survey
    with django_assert_max_num_queries(9):
        assert client.get(reverse("ticket_detail", args=[ticket.pk])).status_code == 200


def test_my_tickets_show_the_last_update_i_can_see_not_a_staff_note(alice, bob, ticket, client_for):
    """An internal note moves the ticket's updated_at; the requester's list must not show that staff did anything."""
    replied_at = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    comment_create(ticket=ticket, author=bob, body="We are on it.")
    TicketEvent.objects.filter(ticket=ticket).update(created_at=replied_at - timedelta(hours=1))
    TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.COMMENT).update(created_at=replied_at)
    comment_create(ticket=ticket, author=bob, body="Customer is grumpy.", internal=True)

    body = client_for(alice).get(reverse("ticket_list")).content.decode()

    ticket.refresh_from_db()
    assert ticket.updated_at > replied_at  # staff still see the note as the latest change
    assert f'<time datetime="{replied_at.isoformat()}">' in body
    assert ticket.updated_at.isoformat() not in body


def page_token(client, url: str) -> str:
    """The one-time token of a freshly loaded page's form."""
    page = client.get(url).content.decode()
    return re.search(r'<input type="hidden" name="submit_token" value="([^"]+)"', page).group(1)


def test_the_same_reply_sent_twice_is_posted_once(alice, ticket, client_for):
    """A double click on Send reply, or the browser sending the post again: one reply, not two (nor two mails)."""
    client = client_for(alice)
    token = page_token(client, reverse("ticket_detail", args=[ticket.pk]))
    data = {"body": "Any news?", "submit_token": token}

    client.post(reverse("ticket_reply", args=[ticket.pk]), data)
    again = client.post(reverse("ticket_reply", args=[ticket.pk]), data, follow=True)

    assert list(ticket.comments.values_list("body", flat=True)) == ["Any news?"]
    assert again.redirect_chain[-1][0] == reverse("ticket_detail", args=[ticket.pk])
    assert "Your reply was already sent; it was not sent again." in again.content.decode()


def test_a_second_reply_typed_on_the_same_page_is_sent(alice, ticket, client_for):
    client = client_for(alice)
    token = page_token(client, reverse("ticket_detail", args=[ticket.pk]))

    client.post(reverse("ticket_reply", args=[ticket.pk]), {"body": "Any news?", "submit_token": token})
    client.post(reverse("ticket_reply", args=[ticket.pk]), {"body": "And the invoice?", "submit_token": token})

    assert ticket.comments.count() == 2


def test_the_same_new_ticket_form_sent_twice_opens_one_ticket(alice, category, client_for):
    client = client_for(alice)
    token = page_token(client, reverse("ticket_new"))
    data = {"category": category.pk, "subject": "VPN drops", "description": "Every hour.", "submit_token": token}

    client.post(reverse("ticket_new"), data)
    again = client.post(reverse("ticket_new"), data, follow=True)

    ticket = Ticket.objects.get()
    assert again.redirect_chain[-1][0] == reverse("ticket_detail", args=[ticket.pk])
    assert "This ticket was already opened; it was not opened again." in again.content.decode()


def test_a_reply_refused_because_the_ticket_was_closed_meanwhile_keeps_what_was_typed(alice, bob, ticket, client_for):
    """Closed by staff while the requester was writing: the page says so, and their text is still there to copy."""
    client = client_for(alice)
    client.get(reverse("ticket_detail", args=[ticket.pk]))
    ticket_change_status(ticket=ticket, actor=bob, status=Status.CLOSED)

    response = client.post(reverse("ticket_reply", args=[ticket.pk]), {"body": "A long story about <my> invoice"})

    body = response.content.decode()
    assert "This ticket is closed. Please open a new ticket." in body
    assert "A long story about &lt;my&gt; invoice</textarea>" in body
    assert reverse("ticket_reply", args=[ticket.pk]) not in body
    assert not ticket.comments.exists()


def test_a_new_ticket_longer_than_the_limit_is_refused_next_to_the_field_with_the_text_kept(alice, client_for):
    text = "x" * (BODY_MAX_CHARS + 1)

    response = client_for(alice).post(reverse("ticket_new"), {"subject": "Long", "description": text})

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_description_error"' in page
    assert "Ensure this value has at most 65536 characters (it has 65537)." in page
    assert text in page
    assert not Ticket.objects.exists()


def test_a_reply_longer_than_the_limit_is_refused_with_the_text_kept(alice, ticket, client_for):
    text = "x" * (BODY_MAX_CHARS + 1)

    response = client_for(alice).post(reverse("ticket_reply", args=[ticket.pk]), {"body": text})

    page = response.content.decode()
    assert "Ensure this value has at most 65536 characters (it has 65537)." in page
    assert text in page
    assert not ticket.comments.exists()


def test_a_reply_of_many_lines_the_browser_let_through_at_the_limit_is_posted(alice, ticket, client_for):
    """A browser counts a line break as one character against the textarea's maxlength and sends it as CRLF."""
    text = "".join(f"Line {number} of the log.\n" for number in range(4000))[:BODY_MAX_CHARS].strip()

    response = client_for(alice).post(reverse("ticket_reply", args=[ticket.pk]), {"body": text.replace("\n", "\r\n")})

    assert response.status_code == 302
    assert ticket.comments.get().body == text
