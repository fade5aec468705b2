"""The staff reply box: a public reply and an internal note are two explicit modes; a note never goes public."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.support.browser_forms import form_controls, submitted
from tickets.models import Comment, Status
from tickets.services import TicketChanges, ticket_update


def reply_url(ticket) -> str:
    return reverse("staff_ticket_reply", args=[ticket.pk])


def test_ticket_page_offers_reply_and_note_as_two_modes_with_reply_chosen(bob, ticket, client_for):
    body = client_for(bob).get(reverse("staff_ticket_detail", args=[ticket.pk])).content.decode()

    form = re.search(r"<form[^>]*data-reply-form.*?</form>", body, re.S).group(0)
    assert re.search(r'<input type="radio" name="mode" value="reply"[^>]*checked', form)
    assert re.search(r'<input type="radio" name="mode" value="note"', form)
    assert 'name="internal"' not in form
    assert 'class="reply-form"' in form


def test_note_mode_page_is_marked_as_a_note_before_anything_is_sent(bob, ticket, client_for):
    body = client_for(bob).get(reverse("staff_ticket_detail", args=[ticket.pk]) + "?mode=note").content.decode()

    form = re.search(r"<form[^>]*data-reply-form.*?</form>", body, re.S).group(0)
    assert 'class="reply-form is-note"' in form
    assert "Internal note — only staff see this" in form
    assert re.search(r'<input type="radio" name="mode" value="note"[^>]*checked', form)


def test_a_post_without_a_mode_sends_nothing(bob, ticket, client_for):
    response = client_for(bob).post(reply_url(ticket), {"body": "Secret", "internal": "on"})

    assert response.status_code == 200
    assert "Choose a public reply or an internal note." in response.content.decode()
    assert not Comment.objects.exists()


def test_an_unknown_mode_sends_nothing_and_keeps_the_text(bob, ticket, client_for):
    response = client_for(bob).post(reply_url(ticket), {"body": "Keep me", "mode": "public-note"})

    assert response.status_code == 200
    assert "Keep me" in response.content.decode()
    assert not Comment.objects.exists()


def test_a_note_stays_internal_and_the_requester_never_sees_it(alice, bob, ticket, client_for):
    client_for(bob).post(reply_url(ticket), {"body": "Finance says no", "mode": "note"})

    assert Comment.objects.get().internal is True
    assert "Finance says no" not in client_for(alice).get(reverse("ticket_detail", args=[ticket.pk])).content.decode()


def test_a_rejected_note_is_shown_again_in_note_mode(bob, ticket, client_for):
    response = client_for(bob).post(reply_url(ticket), {"body": "  ", "mode": "note"})

    assert 'class="reply-form is-note"' in response.content.decode()


@pytest.mark.parametrize("then_status", [Status.PENDING, Status.RESOLVED])
def test_send_and_set_status_does_both_in_one_action(bob, ticket, client_for, then_status):
    response = client_for(bob).post(
        reply_url(ticket), {"body": "Done", "mode": "reply", "then_status": then_status}, follow=True
    )

    ticket.refresh_from_db()
    assert ticket.status == then_status
    assert Comment.objects.get().body == "Done"
    assert f"Status set to {then_status}." in response.content.decode()


def test_send_and_set_a_status_the_workflow_refuses_sends_nothing(bob, ticket, client_for):
    ticket.status = Status.CLOSED
    ticket.save()

    response = client_for(bob).post(reply_url(ticket), {"body": "Done", "mode": "reply", "then_status": "pending"})

    assert response.status_code == 200
    assert "Nothing was sent." in response.content.decode()
    assert not Comment.objects.exists()


def test_send_and_set_a_status_the_workflow_refuses_leaves_no_file_in_storage(bob, ticket, client_for, stored_files):
    ticket.status = Status.CLOSED
    ticket.save()
    before = stored_files()
    upload = SimpleUploadedFile("log.txt", b"stack trace")

    response = client_for(bob).post(
        reply_url(ticket), {"body": "Done", "mode": "reply", "then_status": "pending", "attachments": [upload]}
    )

    assert "Nothing was sent." in response.content.decode()
    assert stored_files() == before


def test_send_and_set_an_unknown_status_is_refused(bob, ticket, client_for):
    response = client_for(bob).post(reply_url(ticket), {"body": "Done", "mode": "reply", "then_status": "open"})

    assert response.status_code == 200
    assert not Comment.objects.exists()


def test_mallory_gets_404_on_the_reply_of_someone_elses_ticket(mallory, ticket, client_for):
    assert client_for(mallory).post(reply_url(ticket), {"body": "x", "mode": "note"}).status_code == 404


def test_assign_to_me_button_takes_the_ticket(bob, ticket, client_for):
    response = client_for(bob).post(reverse("staff_ticket_assign_me", args=[ticket.pk]), follow=True)

    ticket.refresh_from_db()
    assert ticket.assignee == bob
    assert "Assigned to you." in response.content.decode()
    assert "data-assign-me" not in response.content.decode()


def test_assign_to_me_from_a_page_loaded_before_someone_else_took_the_ticket_changes_nothing(
    bob, carol, ticket, client_for
):
    client = client_for(bob)
    action = reverse("staff_ticket_assign_me", args=[ticket.pk])
    stale = form_controls(client.get(reverse("staff_ticket_detail", args=[ticket.pk])).content.decode(), action)
    client_for(carol).post(action)

    response = client.post(action, submitted(stale), follow=True)

    body = response.content.decode()
    assert "Carol Admin took this ticket meanwhile" in body
    assert "Assigned to you." not in body
    ticket.refresh_from_db()
    assert ticket.assignee == carol


def test_assign_to_me_takes_a_ticket_from_the_agent_the_page_showed(bob, carol, ticket, client_for):
    ticket_update(ticket=ticket, actor=carol, changes=TicketChanges(assignee=carol))
    client = client_for(bob)
    action = reverse("staff_ticket_assign_me", args=[ticket.pk])
    shown = form_controls(client.get(reverse("staff_ticket_detail", args=[ticket.pk])).content.decode(), action)

    response = client.post(action, submitted(shown), follow=True)

    assert "Assigned to you." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee == bob


@pytest.mark.parametrize("who", ["alice", "mallory"])
def test_requesters_get_404_on_assign_to_me(request, ticket, client_for, who):
    response = client_for(request.getfixturevalue(who)).post(reverse("staff_ticket_assign_me", args=[ticket.pk]))

    assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_shortcuts_script_is_served_to_staff_only(alice, bob, ticket, client_for):
    assert "js/shortcuts.js" in client_for(bob).get(reverse("staff_queue")).content.decode()
    assert "js/shortcuts.js" not in client_for(alice).get(reverse("ticket_list")).content.decode()


def test_queue_rows_carry_the_hook_for_the_shortcuts(bob, ticket, client_for):
    assert "data-ticket-row" in client_for(bob).get(reverse("staff_queue")).content.decode()
