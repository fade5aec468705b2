"""Adding a comment in the admin goes through comment_create, as the signed-in agent or admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tickets.models import Comment, TicketEventKind

pytestmark = pytest.mark.django_db


def post_comment(client, ticket, **fields):
    data = {"ticket": ticket.pk, "body": "Refund issued.", **fields}
    return client.post(reverse("admin:tickets_comment_add"), data)


def test_agent_adds_an_internal_note_authored_by_themselves(client_for, bob, ticket):
    response = post_comment(client_for(bob), ticket, body="Customer is **VIP**", internal="on")

    assert response.status_code == 302
    comment = Comment.objects.get(ticket=ticket)
    assert (comment.author, comment.internal) == (bob, True)
    assert "<strong>VIP</strong>" in comment.body_html
    assert ticket.events.filter(kind=TicketEventKind.COMMENT, actor=bob, internal=True).exists()


def test_agent_public_reply_in_the_admin_sets_first_response(client_for, bob, ticket):
    post_comment(client_for(bob), ticket)

    ticket.refresh_from_db()
    assert ticket.first_response_at is not None


def test_comments_cannot_be_edited_in_the_admin(client_for, carol, ticket):
    client = client_for(carol)
    post_comment(client, ticket)
    comment = Comment.objects.get()

    response = client.post(reverse("admin:tickets_comment_change", args=[comment.pk]), {"body": "Rewritten"})

    assert response.status_code == 403
    comment.refresh_from_db()
    assert comment.body == "Refund issued."
