"""The agent automation rules act as is nobody's colleague: no ticket is assigned to it, no list of agents shows it."""

from __future__ import annotations

from automations.services import automation_actor
from tests.support.api import assert_error_body


def test_no_ticket_can_be_assigned_to_the_automation_actor(api_client_for, bob, ticket):
    actor = automation_actor()
    response = api_client_for(bob).patch(f"/api/v1/tickets/{ticket.pk}/", {"assignee": actor.pk}, format="json")
    assert_error_body(response, 400, "invalid")
    response = api_client_for(bob).patch(f"/api/v1/tickets/{ticket.pk}/", {"assignee": bob.pk}, format="json")
    assert response.status_code == 200


def test_the_lists_of_agents_on_the_staff_pages_leave_it_out(client, bob, ticket):
    automation_actor()
    client.force_login(bob)
    for page in (f"/staff/tickets/{ticket.pk}/", "/staff/"):
        html = client.get(page).content.decode()
        assert "Bob Agent" in html and ">Automation<" not in html, page
