"""Odd query strings and form posts on the pages get a page with a message, never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse


@pytest.mark.parametrize(
    "query",
    ["status=bogus", "page=abc", "page=99999", "team=abc", "category=999", "priority=extreme", "sort=nope"],
)
def test_staff_queue_survives_odd_filters(client_for, bob, ticket, query):
    client = client_for(bob)
    client.raise_request_exception = False
    assert client.get(f"{reverse('staff_queue')}?{query}").status_code == 200


@pytest.mark.parametrize(
    "data",
    [{}, {"status": "bogus"}, {"priority": "99"}, {"assignee": "abc"}, {"tags": "a b c!, ??"}, {"team": "-1"}],
)
def test_staff_properties_form_survives_odd_posts(client_for, bob, ticket, data):
    client = client_for(bob)
    client.raise_request_exception = False
    response = client.post(reverse("staff_ticket_update", args=[ticket.pk]), data)
    assert response.status_code in (200, 302)
    ticket.refresh_from_db()
    assert ticket.status == "new"


@pytest.mark.parametrize(
    "data", [{}, {"body": ""}, {"body": "x" * 10, "internal": "maybe"}, {"body": "x", "mode": "maybe"}]
)
def test_reply_forms_survive_odd_posts(client_for, alice, bob, ticket, data):
    for user, name in ((alice, "ticket_reply"), (bob, "staff_ticket_reply")):
        client = client_for(user)
        client.raise_request_exception = False
        assert client.post(reverse(name, args=[ticket.pk]), data).status_code in (200, 302)


def test_new_ticket_form_survives_an_unknown_category(client_for, alice):
    client = client_for(alice)
    client.raise_request_exception = False
    response = client.post(reverse("ticket_new"), {"subject": "x", "description": "y", "category": "999"})
    assert response.status_code == 200
