"""Staff open a ticket on behalf of a requester: an existing one, or a new one by email and name (page and API)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.services import user_update
from tests.support.api import assert_error_body
from tickets.models import BODY_MAX_CHARS, Channel, Ticket


def open_ticket(client, **overrides):
    data = {"requester_email": "alice@example.com", "subject": "Phoned in", "description": "Printer", "priority": 20}
    return client.post(reverse("staff_ticket_new"), {**data, **overrides}, follow=True)


def form_token(client) -> str:
    """The one-time token of a freshly loaded form page."""
    page = client.get(reverse("staff_ticket_new")).content.decode()
    return re.search(r'<input type="hidden" name="submit_token" value="([^"]+)"', page).group(1)


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


def test_the_same_form_sent_twice_opens_one_ticket_and_shows_it_again(alice, bob, client_for):
    """A double click, or the browser sending the post again: the second post is taken to the first one's ticket."""
    client = client_for(bob)
    token = form_token(client)

    open_ticket(client, submit_token=token)
    again = open_ticket(client, submit_token=token)

    ticket = Ticket.objects.get()
    assert again.redirect_chain[-1][0] == reverse("staff_ticket_detail", args=[ticket.pk])
    assert "This ticket was already opened; it was not opened again." in again.content.decode()


def test_each_load_of_the_page_gives_the_form_a_new_token(bob, client_for, db):
    client = client_for(bob)

    assert form_token(client) != form_token(client)


def test_a_form_changed_and_sent_again_with_its_token_opens_another_ticket(alice, bob, client_for):
    """Back to the form, another caller's details typed in, sent: that is a new ticket, not the same post again."""
    client = client_for(bob)
    token = form_token(client)

    open_ticket(client, submit_token=token)
    open_ticket(client, submit_token=token)
    open_ticket(client, submit_token=token, subject="Second caller")

    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["Phoned in", "Second caller"]


def test_a_refused_post_keeps_nothing_so_the_same_form_opens_the_ticket_once_accepted(alice, bob, client_for):
    client = client_for(bob)
    token = form_token(client)
    User.objects.filter(pk=alice.pk).update(is_active=False)

    refused = open_ticket(client, submit_token=token)
    User.objects.filter(pk=alice.pk).update(is_active=True)
    opened = open_ticket(client, submit_token=token)
    again = open_ticket(client, submit_token=token)

    assert "The account with this address is deactivated." in refused.content.decode()
    ticket = Ticket.objects.get()
    assert f"Ticket #{ticket.pk} opened for Alice Requester." in opened.content.decode()
    assert "already opened" in again.content.decode()


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


def test_a_description_longer_than_the_limit_is_refused_on_the_form_keeping_what_was_typed(alice, bob, client_for):
    text = "x" * (BODY_MAX_CHARS + 1)

    response = open_ticket(client_for(bob), description=text)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_description_error"' in page
    assert "Ensure this value has at most 65536 characters (it has 65537)." in page
    assert text in page
    assert not Ticket.objects.exists()


def test_an_address_at_an_invalid_domain_is_refused_on_the_form(bob, client_for):
    """The helpdesk's own accounts have such addresses (the automations' actor): no door makes a requester of one."""
    response = open_ticket(client_for(bob), requester_email="automation@helpdesk.invalid", subject="Phoned in")

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_requester_email_error"' in body and "Addresses at .invalid domains take no mail" in body
    assert not User.objects.filter(email="automation@helpdesk.invalid").exists()
