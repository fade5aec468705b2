"""Staff open a ticket on behalf of a requester: an existing one, or a new one by email and name (page and API)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.services import user_update
from tests.support.api import assert_error_body
from tickets.models import Channel, Ticket


def open_ticket(client, **overrides):
    data = {"requester_email": "alice@example.com", "subject": "Phoned in", "description": "Printer", "priority": 20}
    return client.post(reverse("staff_ticket_new"), {**data, **overrides}, follow=True)


def test_agent_opens_a_ticket_for_an_existing_requester(alice, bob, client_for):
    response = open_ticket(client_for(bob), requester_email="ALICE@example.com")

    ticket = Ticket.objects.get()
    assert (ticket.requester, ticket.channel) == (alice, Channel.STAFF)
    assert f"Ticket #{ticket.pk} opened for Alice Requester." in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("staff_ticket_detail", args=[ticket.pk])


def test_agent_opens_a_ticket_for_a_new_requester_by_email_and_name(bob, client_for, db):
    response = open_ticket(client_for(bob), requester_email="walk-in@example.org", requester_name="Wally Walkin")

    requester = User.objects.get(email="walk-in@example.org")
    assert requester.name == "Wally Walkin"
    assert not requester.has_usable_password()
    assert Ticket.objects.get().requester == requester
    assert "a new requester, walk-in@example.org" in response.content.decode()


def test_the_requester_field_is_prefilled_from_the_sidebar_link(bob, client_for, db):
    body = client_for(bob).get(reverse("staff_ticket_new"), {"requester": "x@example.com"}).content.decode()

    assert 'value="x@example.com"' in body


@pytest.mark.parametrize("email", ["", "not-an-address", "a@b", "x" * 300 + "@example.com"])
def test_an_invalid_address_is_shown_on_the_form(bob, client_for, email, db):
    response = open_ticket(client_for(bob), requester_email=email)

    assert response.status_code == 200
    assert 'id="id_requester_email_error"' in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_deactivated_accounts_address_is_refused_on_the_form_keeping_what_was_typed(alice, bob, carol, client_for):
    user_update(user=alice, actor=carol, is_active=False)

    response = open_ticket(client_for(bob), requester_email="ALICE@example.com", subject="Phoned in from home")

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_requester_email_error"' in body and "deactivated" in body
    assert 'value="Phoned in from home"' in body
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("who", ["alice", "mallory"])
def test_requesters_get_404_on_the_page(request, client_for, who):
    client = client_for(request.getfixturevalue(who))

    assert client.get(reverse("staff_ticket_new")).status_code == 404
    assert open_ticket(client).status_code == 404
    assert not Ticket.objects.exists()


def test_api_opens_a_ticket_for_a_new_requester_by_email(bob, api_client_for, db):
    response = api_client_for(bob).post(
        "/api/v1/tickets/",
        {"subject": "Phoned in", "requester_email": "new@example.org", "requester_name": "New Person"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["requester"] == User.objects.get(email="new@example.org").pk


def test_api_refuses_requester_and_requester_email_together(alice, bob, api_client_for):
    response = api_client_for(bob).post(
        "/api/v1/tickets/", {"subject": "x", "requester": alice.pk, "requester_email": "a@example.org"}, format="json"
    )

    assert response.status_code == 400


def test_api_refuses_a_requester_opening_for_someone_else_by_email(mallory, api_client_for):
    response = api_client_for(mallory).post(
        "/api/v1/tickets/", {"subject": "x", "requester_email": "victim@example.org"}, format="json"
    )

    assert response.status_code == 403
    assert not User.objects.filter(email="victim@example.org").exists()


def test_api_refuses_a_deactivated_accounts_address_naming_requester_email(alice, bob, carol, api_client_for):
    user_update(user=alice, actor=carol, is_active=False)

    response = api_client_for(bob).post(
        "/api/v1/tickets/", {"subject": "Phoned in", "requester_email": "ALICE@example.com"}, format="json"
    )

    error = assert_error_body(response, 400, "invalid")
    assert list(error["details"]) == ["requester_email"] and "deactivated" in error["details"]["requester_email"][0]
    assert not Ticket.objects.exists()
