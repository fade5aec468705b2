"""POST /api/v1/tickets/."""

from __future__ import annotations

from accounts.models import User
from accounts.selectors import ADDRESS_RESERVED
from tests.support.api import assert_error_body
from tickets.models import BODY_MAX_CHARS, Priority, Ticket, TicketEventKind

URL = "/api/v1/tickets/"


def test_requester_opens_a_ticket(api_client_for, alice, category, team):
    response = api_client_for(alice).post(
        URL, {"subject": "VPN down", "description": "Since 9am", "category": category.pk}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    ticket = Ticket.objects.get(pk=body["id"])
    assert (ticket.requester, ticket.category, ticket.team) == (alice, category, team)
    assert body["status"] == "new" and body["team"] == team.pk
    assert ticket.events.get().kind == TicketEventKind.CREATED


def test_requester_sending_staff_fields_is_refused_and_nothing_is_created(api_client_for, alice, bob):
    response = api_client_for(alice).post(
        URL, {"subject": "x", "priority": "urgent", "assignee": bob.pk, "status": "closed"}, format="json"
    )
    assert response.status_code == 403
    assert set(response.json()["error"]["details"]) == {"priority", "assignee", "status"}
    assert not Ticket.objects.exists()


def test_requester_cannot_open_a_ticket_for_someone_else(api_client_for, alice, mallory):
    response = api_client_for(alice).post(URL, {"subject": "x", "requester": mallory.pk}, format="json")
    assert response.status_code == 403
    assert not Ticket.objects.exists()


def test_agent_opens_a_ticket_on_behalf_of_a_requester_with_triage_fields(api_client_for, bob, alice, team):
    response = api_client_for(bob).post(
        URL,
        {
            "subject": "Phoned in",
            "requester": alice.pk,
            "priority": "high",
            "assignee": bob.pk,
            "team": team.pk,
            "tags": ["Phone", "vip"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get()
    assert ticket.requester == alice and ticket.priority == Priority.HIGH and ticket.assignee == bob
    assert response.json()["tags"] == ["phone", "vip"]
    assert ticket.events.get().actor == bob


def test_missing_subject_is_a_field_error(api_client_for, alice):
    response = api_client_for(alice).post(URL, {"description": "no subject"}, format="json")
    assert response.status_code == 400
    assert "subject" in response.json()["error"]["details"]


def test_subject_longer_than_200_is_refused(api_client_for, alice):
    response = api_client_for(alice).post(URL, {"subject": "x" * 201}, format="json")
    assert response.status_code == 400
    assert "subject" in response.json()["error"]["details"]


def test_assignee_must_be_an_agent(api_client_for, bob, alice):
    response = api_client_for(bob).post(URL, {"subject": "x", "assignee": alice.pk}, format="json")
    assert response.status_code == 400
    assert "assignee" in response.json()["error"]["details"]


def test_inactive_category_is_refused_for_requesters(api_client_for, alice, category):
    category.is_active = False
    category.save()
    response = api_client_for(alice).post(URL, {"subject": "x", "category": category.pk}, format="json")
    assert response.status_code == 400
    assert "category" in response.json()["error"]["details"]


def test_a_refused_ticket_for_a_new_address_creates_no_account(api_client_for, bob):
    body = {"subject": "Printer", "requester_email": "newcomer@example.com", "tags": ["not a tag!"]}

    response = api_client_for(bob).post("/api/v1/tickets/", body, format="json")

    assert_error_body(response, 400, "invalid")
    assert not Ticket.objects.exists()
    assert not User.objects.filter(email="newcomer@example.com").exists()


def test_more_than_twenty_tags_are_a_field_error(api_client_for, bob, alice):
    body = {"subject": "Many tags", "requester": alice.pk, "tags": [f"tag-{number}" for number in range(21)]}

    response = api_client_for(bob).post("/api/v1/tickets/", body, format="json")

    assert list(assert_error_body(response, 400, "invalid")["details"]) == ["tags"]


def test_a_description_longer_than_the_limit_is_refused_and_nothing_is_created(api_client_for, alice):
    data = {"subject": "Long", "description": "x" * (BODY_MAX_CHARS + 1)}

    response = api_client_for(alice).post(URL, data, format="json")

    error = assert_error_body(response, 400, "invalid")
    assert error["details"]["description"] == ["Ensure this field has no more than 65536 characters."]
    assert not Ticket.objects.exists()


def test_agent_cannot_open_a_ticket_for_the_automations_actor(api_client_for, bob):
    from automations.services import automation_actor

    response = api_client_for(bob).post(URL, {"subject": "x", "requester": automation_actor().pk}, format="json")

    assert assert_error_body(response, 400, "invalid")["details"] == {"requester": [ADDRESS_RESERVED]}
    assert not Ticket.objects.exists()
