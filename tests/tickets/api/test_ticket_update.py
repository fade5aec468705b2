"""PATCH /api/v1/tickets/{id}/: triage by staff, recorded in the audit trail; refused for requesters."""

from __future__ import annotations

from tickets.models import Priority, Status, TicketEvent


def url(ticket) -> str:
    return f"/api/v1/tickets/{ticket.pk}/"


def test_agent_changes_fields_and_each_change_is_audited(api_client_for, bob, ticket, team):
    response = api_client_for(bob).patch(
        url(ticket),
        {"status": "open", "priority": "high", "assignee": bob.pk, "tags": ["billing", "VIP"], "team": None},
        format="json",
    )
    assert response.status_code == 200, response.content
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee, ticket.team) == (Status.OPEN, Priority.HIGH, bob, None)
    events = {e.kind: (e.old_value, e.new_value) for e in TicketEvent.objects.filter(ticket=ticket, actor=bob)}
    assert events == {
        "status": ("new", "open"),
        "priority": ("normal", "high"),
        "assignee": ("", "Bob Agent"),
        "team": ("Support", ""),
        "tags": ("", "billing, vip"),
    }


def test_unchanged_fields_record_no_event(api_client_for, bob, ticket):
    api_client_for(bob).patch(url(ticket), {"priority": "normal"}, format="json")
    assert ticket.events.count() == 1  # only "created"


def test_forbidden_transition_is_409_and_changes_nothing(api_client_for, bob, ticket):
    client = api_client_for(bob)
    client.patch(url(ticket), {"status": "resolved"}, format="json")
    response = client.patch(url(ticket), {"status": "pending", "priority": "urgent"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED and ticket.priority == Priority.NORMAL


def test_requester_cannot_patch_her_ticket(api_client_for, alice, ticket):
    response = api_client_for(alice).patch(url(ticket), {"status": "closed", "priority": "urgent"}, format="json")
    assert response.status_code == 403
    assert set(response.json()["error"]["details"]) == {"status", "priority"}
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and ticket.priority == Priority.NORMAL


def test_mallory_gets_404_patching_alices_ticket(api_client_for, mallory, ticket):
    assert api_client_for(mallory).patch(url(ticket), {"status": "closed"}, format="json").status_code == 404


def test_put_is_not_allowed(api_client_for, bob, ticket):
    response = api_client_for(bob).put(url(ticket), {"status": "open"}, format="json")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_invalid_values_are_field_errors(api_client_for, bob, ticket, alice):
    response = api_client_for(bob).patch(
        url(ticket), {"status": "done", "priority": 3, "assignee": alice.pk}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"status", "priority", "assignee"}


def test_at_most_twenty_tags_and_more_change_nothing(api_client_for, bob, ticket):
    client = api_client_for(bob)
    too_many = client.patch(url(ticket), {"tags": [f"tag-{number}" for number in range(21)]}, format="json")
    assert too_many.status_code == 400 and list(too_many.json()["error"]["details"]) == ["tags"]
    assert not ticket.tags.exists()

    twenty = client.patch(url(ticket), {"tags": [f"tag-{number}" for number in range(20)]}, format="json")
    assert twenty.status_code == 200 and len(twenty.json()["tags"]) == 20
