"""Merging and linking on the staff ticket page, per role."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tickets.models import Status, TicketLink
from tickets.services import ticket_create, ticket_link


@pytest.fixture
def duplicate(alice, category):
    return ticket_create(requester=alice, subject="Invoice wrong again", description="Same.", category=category)


def test_merge_asks_for_confirmation_before_anything_moves(bob, ticket, duplicate, client_for):
    response = client_for(bob).post(reverse("staff_ticket_merge", args=[duplicate.pk]), {"into": f"#{ticket.pk}"})

    body = response.content.decode()
    assert response.status_code == 200
    assert f"Merge #{duplicate.pk} into #{ticket.pk}" in body
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None


def test_confirmed_merge_lands_on_the_target_with_the_pointer_on_the_source(bob, ticket, duplicate, client_for):
    client = client_for(bob)
    response = client.post(
        reverse("staff_ticket_merge", args=[duplicate.pk]), {"into": ticket.pk, "confirm": "True"}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("staff_ticket_detail", args=[ticket.pk])
    assert f"#{duplicate.pk} was merged into this ticket" in response.content.decode()
    source_page = client.get(reverse("staff_ticket_detail", args=[duplicate.pk])).content.decode()
    assert f'Merged into <a href="{reverse("staff_ticket_detail", args=[ticket.pk])}">#{ticket.pk}</a>' in source_page
    duplicate.refresh_from_db()
    assert duplicate.status == Status.CLOSED


def test_the_requester_sees_the_notice_on_the_merged_ticket(alice, bob, ticket, duplicate, client_for):
    client_for(bob).post(reverse("staff_ticket_merge", args=[duplicate.pk]), {"into": ticket.pk, "confirm": "True"})

    page = client_for(alice).get(reverse("ticket_detail", args=[duplicate.pk])).content.decode()
    assert f"merged into request #{ticket.pk}" in page


def test_merge_warns_when_requesters_differ(bob, mallory, ticket, category, client_for):
    other = ticket_create(requester=mallory, subject="Other", category=category)

    body = client_for(bob).get(reverse("staff_ticket_merge", args=[other.pk]), {"into": ticket.pk}).content.decode()

    assert "different requesters" in body


@pytest.mark.parametrize("value", ["", "abc", "0", "-3", "99999999999999999999999", "#", "٣", "424242"])
def test_merge_form_refuses_odd_numbers_with_a_message(bob, ticket, client_for, value):
    response = client_for(bob).post(reverse("staff_ticket_merge", args=[ticket.pk]), {"into": value, "confirm": "True"})

    assert response.status_code == 200
    assert 'id="id_into_error"' in response.content.decode()


def test_merge_into_itself_is_refused_on_the_page(bob, ticket, client_for):
    response = client_for(bob).post(
        reverse("staff_ticket_merge", args=[ticket.pk]), {"into": ticket.pk, "confirm": "True"}
    )

    assert "cannot be merged into itself" in response.content.decode()


def test_agent_links_and_unlinks_tickets_on_the_page(bob, ticket, duplicate, client_for):
    client = client_for(bob)

    response = client.post(
        reverse("staff_ticket_link", args=[ticket.pk]), {"relation": "parent_of", "other": duplicate.pk}, follow=True
    )

    assert f"Linked with #{duplicate.pk}." in response.content.decode()
    link = TicketLink.objects.get()
    assert (link.from_ticket, link.to_ticket, link.kind) == (duplicate, ticket, "child_of")
    other_page = client.get(reverse("staff_ticket_detail", args=[duplicate.pk])).content.decode()
    assert "Child of <a" in other_page

    client.post(reverse("staff_ticket_unlink", args=[duplicate.pk, link.pk]))
    assert not TicketLink.objects.exists()


def test_a_second_link_between_the_same_pair_is_refused_with_a_message(bob, ticket, duplicate, client_for):
    ticket_link(ticket=ticket, other=duplicate, relation="related", actor=bob)

    response = client_for(bob).post(
        reverse("staff_ticket_link", args=[duplicate.pk]), {"relation": "duplicate_of", "other": ticket.pk}, follow=True
    )

    assert "already linked" in response.content.decode()
    assert TicketLink.objects.count() == 1


@pytest.mark.parametrize("value", ["", "x", "0", "99999999999999999999999", "424242"])
def test_link_form_survives_odd_numbers(bob, ticket, client_for, value):
    response = client_for(bob).post(
        reverse("staff_ticket_link", args=[ticket.pk]), {"relation": "related", "other": value}
    )

    assert response.status_code == 302
    assert not TicketLink.objects.exists()


def test_unlinking_a_link_of_another_ticket_is_404(bob, ticket, duplicate, alice, category, client_for):
    third = ticket_create(requester=alice, subject="Third", category=category)
    link = ticket_link(ticket=duplicate, other=third, relation="related", actor=bob)

    assert client_for(bob).post(reverse("staff_ticket_unlink", args=[ticket.pk, link.pk])).status_code == 404


@pytest.mark.parametrize("who", ["alice", "mallory"])
def test_requesters_get_404_on_merge_and_link_pages(request, ticket, duplicate, client_for, who, bob):
    link = ticket_link(ticket=ticket, other=duplicate, relation="related", actor=bob)
    client = client_for(request.getfixturevalue(who))

    assert client.get(reverse("staff_ticket_merge", args=[ticket.pk])).status_code == 404
    assert (
        client.post(
            reverse("staff_ticket_merge", args=[ticket.pk]), {"into": duplicate.pk, "confirm": "True"}
        ).status_code
        == 404
    )
    assert (
        client.post(reverse("staff_ticket_link", args=[ticket.pk]), {"relation": "related", "other": 1}).status_code
        == 404
    )
    assert client.post(reverse("staff_ticket_unlink", args=[ticket.pk, link.pk])).status_code == 404
    assert TicketLink.objects.count() == 1
