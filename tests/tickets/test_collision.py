"""Collision warnings: who else has the ticket open or is typing, and a reply held when a message arrived meanwhile."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tickets.models import Comment
from tickets.presence import PRESENCE_TTL, presence_touch
from tickets.services import comment_create


def reply_url(ticket) -> str:
    return reverse("staff_ticket_reply", args=[ticket.pk])


def presence_url(ticket) -> str:
    return reverse("staff_ticket_presence", args=[ticket.pk])


def seen_comment(client, ticket) -> str:
    body = client.get(reverse("staff_ticket_detail", args=[ticket.pk])).content.decode()
    return re.search(r'name="seen_comment" value="(\d+)"', body).group(1)


def test_the_page_shows_who_else_has_the_ticket_open(bob, carol, ticket, client_for):
    client_for(carol).get(reverse("staff_ticket_detail", args=[ticket.pk]))

    body = client_for(bob).get(reverse("staff_ticket_detail", args=[ticket.pk])).content.decode()

    assert "Carol Admin is viewing" in body


def test_the_poll_reports_who_is_typing_and_never_the_caller(bob, carol, ticket, client_for):
    client_for(carol).post(presence_url(ticket), {"typing": "1"})

    state = client_for(bob).post(presence_url(ticket)).json()

    assert state["viewers"] == [{"name": "Carol Admin", "typing": True}]


def test_the_poll_reports_the_newest_message_by_someone_else(alice, bob, ticket, client_for):
    comment = comment_create(ticket=ticket, author=alice, body="Hello?")
    comment_create(ticket=ticket, author=bob, body="Mine")

    assert client_for(bob).post(presence_url(ticket)).json()["latest_comment"] == comment.pk


def test_a_viewer_disappears_after_the_time_to_live(bob, carol, ticket):
    presence_touch(ticket_id=ticket.pk, user=carol, now=1000.0)

    assert presence_touch(ticket_id=ticket.pk, user=bob, now=1000.0 + PRESENCE_TTL + 1) == []


def test_a_reply_that_crossed_a_new_message_is_held_with_the_text_kept(alice, bob, ticket, client_for):
    client = client_for(bob)
    seen = seen_comment(client, ticket)
    comment_create(ticket=ticket, author=alice, body="Actually it is fixed now")

    response = client.post(reply_url(ticket), {"body": "Please restart", "mode": "reply", "seen_comment": seen})

    body = response.content.decode()
    assert response.status_code == 200
    assert "Not sent yet: 1 new message arrived" in body
    held = re.search(r'<div class="held-reply".*?</div>\s*</div>', body, re.S) or re.search(
        r'<div class="held-reply".*?Send again to confirm', body, re.S
    )
    assert "Actually it is fixed now" in held.group(0)
    assert re.search(r'<textarea name="body"[^>]*>\s*Please restart</textarea>', body)
    assert Comment.objects.filter(author=bob).count() == 0


def test_sending_again_after_seeing_the_message_sends(alice, bob, ticket, client_for):
    client = client_for(bob)
    seen = seen_comment(client, ticket)
    comment_create(ticket=ticket, author=alice, body="Actually it is fixed now")
    held = client.post(reply_url(ticket), {"body": "Please restart", "mode": "reply", "seen_comment": seen})
    newer = re.search(r'name="seen_comment" value="(\d+)"', held.content.decode()).group(1)

    client.post(reply_url(ticket), {"body": "Please restart", "mode": "reply", "seen_comment": newer})

    assert Comment.objects.filter(author=bob).count() == 1


def test_a_colleagues_internal_note_also_holds_the_reply(bob, carol, ticket, client_for):
    client = client_for(bob)
    seen = seen_comment(client, ticket)
    comment_create(ticket=ticket, author=carol, body="I already refunded", internal=True)

    response = client.post(reply_url(ticket), {"body": "Refunding", "mode": "reply", "seen_comment": seen})

    assert "I already refunded" in response.content.decode()
    assert not Comment.objects.filter(author=bob).exists()


def test_the_agents_own_messages_do_not_hold_their_reply(bob, ticket, client_for):
    client = client_for(bob)
    seen = seen_comment(client, ticket)
    comment_create(ticket=ticket, author=bob, body="From another tab", internal=True)

    client.post(reply_url(ticket), {"body": "Second", "mode": "note", "seen_comment": seen})

    assert Comment.objects.filter(author=bob).count() == 2


@pytest.mark.parametrize("value", ["x", "-1", "99999999999999999999999", "1.5"])
def test_odd_seen_values_are_refused_with_a_message_not_an_error(bob, ticket, client_for, value):
    response = client_for(bob).post(reply_url(ticket), {"body": "x", "mode": "reply", "seen_comment": value})

    assert response.status_code == 200
    assert not Comment.objects.exists()


@pytest.mark.parametrize("who", ["alice", "mallory"])
def test_requesters_get_404_on_the_presence_endpoint(request, ticket, client_for, who):
    assert client_for(request.getfixturevalue(who)).post(presence_url(ticket)).status_code == 404


def test_presence_endpoint_is_post_only(bob, ticket, client_for):
    assert client_for(bob).get(presence_url(ticket)).status_code == 405
