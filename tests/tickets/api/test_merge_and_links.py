"""POST /api/v1/tickets/{id}/merge/ and /api/v1/tickets/{id}/links/."""

from __future__ import annotations

import pytest

from tickets.models import Status, TicketLink
from tickets.services import ticket_create


@pytest.fixture
def duplicate(alice, category):
    return ticket_create(requester=alice, subject="Invoice wrong again", description="Same.", category=category)


def test_agent_merges_through_the_api(bob, ticket, duplicate, api_client_for):
    client = api_client_for(bob)

    response = client.post(f"/api/v1/tickets/{duplicate.pk}/merge/", {"into": ticket.pk}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["id"] == ticket.pk
    source = client.get(f"/api/v1/tickets/{duplicate.pk}/").json()
    assert (source["status"], source["merged_into"]) == (Status.CLOSED, ticket.pk)


def test_merge_into_a_closed_ticket_is_409(bob, ticket, duplicate, api_client_for):
    ticket.status = Status.CLOSED
    ticket.save()

    response = api_client_for(bob).post(f"/api/v1/tickets/{duplicate.pk}/merge/", {"into": ticket.pk}, format="json")

    assert response.status_code == 409


@pytest.mark.parametrize("value", [0, -1, 2**64, "x", None])
def test_merge_refuses_odd_targets(bob, ticket, api_client_for, value):
    assert (
        api_client_for(bob).post(f"/api/v1/tickets/{ticket.pk}/merge/", {"into": value}, format="json").status_code
        == 400
    )


def test_requesters_may_not_merge_even_their_own_tickets(alice, ticket, duplicate, api_client_for):
    response = api_client_for(alice).post(f"/api/v1/tickets/{duplicate.pk}/merge/", {"into": ticket.pk}, format="json")

    assert response.status_code == 403


def test_mallory_gets_404_merging_someone_elses_ticket(mallory, ticket, duplicate, api_client_for):
    response = api_client_for(mallory).post(
        f"/api/v1/tickets/{duplicate.pk}/merge/", {"into": ticket.pk}, format="json"
    )

    assert response.status_code == 404


def test_links_are_created_listed_from_both_sides_and_removed(bob, ticket, duplicate, api_client_for):
    client = api_client_for(bob)

    created = client.post(
        f"/api/v1/tickets/{duplicate.pk}/links/", {"relation": "duplicate_of", "ticket": ticket.pk}, format="json"
    )

    assert created.status_code == 201, created.content
    assert created.json()["relation"] == "duplicate_of"
    (from_target,) = client.get(f"/api/v1/tickets/{ticket.pk}/links/").json()["results"]
    assert (from_target["relation"], from_target["ticket"]) == ("duplicated_by", duplicate.pk)
    assert client.delete(f"/api/v1/tickets/{ticket.pk}/links/{from_target['id']}/").status_code == 204
    assert not TicketLink.objects.exists()


def test_a_second_link_for_the_same_pair_is_400(bob, ticket, duplicate, api_client_for):
    client = api_client_for(bob)
    client.post(f"/api/v1/tickets/{ticket.pk}/links/", {"relation": "related", "ticket": duplicate.pk}, format="json")

    response = client.post(
        f"/api/v1/tickets/{duplicate.pk}/links/", {"relation": "child_of", "ticket": ticket.pk}, format="json"
    )

    assert response.status_code == 400


@pytest.mark.parametrize(
    "body", [{"relation": "sibling", "ticket": 1}, {"relation": "related", "ticket": 2**64}, {}, []]
)
def test_odd_link_bodies_are_400(bob, ticket, api_client_for, body):
    assert api_client_for(bob).post(f"/api/v1/tickets/{ticket.pk}/links/", body, format="json").status_code == 400


def test_requesters_may_not_see_links(alice, mallory, ticket, api_client_for):
    for user in (alice, mallory):
        assert api_client_for(user).get(f"/api/v1/tickets/{ticket.pk}/links/").status_code == 403


def test_a_comment_on_a_merged_ticket_is_409_naming_the_ticket_it_was_merged_into(
    bob, ticket, duplicate, api_client_for
):
    client = api_client_for(bob)
    client.post(f"/api/v1/tickets/{duplicate.pk}/merge/", {"into": ticket.pk}, format="json")

    response = client.post(f"/api/v1/tickets/{duplicate.pk}/comments/", {"body": "Refunded."}, format="json")

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "ticket_merged"
    assert f"merged into #{ticket.pk}" in error["message"]
    assert error["details"] == {"body": [f"Post it on #{ticket.pk}."]}
    assert not ticket.comments.filter(body="Refunded.").exists()
