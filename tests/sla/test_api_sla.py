"""SLA in the API: due times on each ticket, the clocks' history, the policies, and the sla filter."""

from __future__ import annotations

from sla.services import sla_sweep
from tests.sla.conftest import berlin
from tests.support.api import assert_error_body
from tickets.models import Priority
from tickets.services import comment_create, ticket_create

TICKETS = "/api/v1/tickets/"


def test_staff_see_the_due_times_and_requesters_do_not(api_client_for, alice, bob, policy, clock):
    clock.to(berlin(2026, 3, 27, 16, 30))
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    body = api_client_for(bob).get(f"{TICKETS}{ticket.pk}/").json()
    first = next(c for c in body["sla"] if c["metric"] == "first_response")
    assert first["due_at"] == "2026-03-30T10:30:00Z" and first["target_minutes"] == 240
    assert not first["breached"]
    assert api_client_for(alice).get(f"{TICKETS}{ticket.pk}/").json()["sla"] is None


def test_breached_and_due_soon_filter_the_list(api_client_for, alice, bob, policy, clock):
    clock.to(berlin(2026, 3, 2, 9, 0))
    late = ticket_create(requester=alice, actor=bob, subject="Late", priority=Priority.URGENT)
    clock.to(berlin(2026, 3, 2, 11, 0))
    soon = ticket_create(requester=alice, actor=bob, subject="Soon", priority=Priority.URGENT)
    calm = ticket_create(requester=alice, actor=bob, subject="Calm")
    comment_create(ticket=calm, author=bob, body="Hi")
    clock.to(berlin(2026, 3, 2, 14, 30))  # late is 5 h 30 in (due 13:00), soon 3 h 30 (warned at 14:00)
    sla_sweep()
    client = api_client_for(bob)
    assert [t["id"] for t in client.get(f"{TICKETS}?sla=breached").json()["results"]] == [late.pk]
    assert [t["id"] for t in client.get(f"{TICKETS}?sla=due_soon").json()["results"]] == [soon.pk]
    assert_error_body(client.get(f"{TICKETS}?sla=sometime"), 400, "invalid")


def test_a_tickets_clock_history_and_the_policies_are_for_staff_only(api_client_for, alice, bob, policy, clock):
    clock.to(berlin(2026, 3, 2, 9, 0))
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    clock.to(berlin(2026, 3, 2, 10, 0))
    comment_create(ticket=ticket, author=bob, body="Hi")
    clocks = api_client_for(bob).get(f"{TICKETS}{ticket.pk}/sla/").json()["results"]
    assert [(c["metric"], c["met_at"]) for c in clocks] == [
        ("first_response", "2026-03-02T09:00:00Z"),
        ("resolution", None),
    ]
    policies = api_client_for(bob).get("/api/v1/sla/policies/").json()["results"]
    assert policies[0]["targets"][0] == {
        "priority": "urgent",
        "first_response_minutes": 240,
        "next_response_minutes": 120,
        "resolution_minutes": 960,
        "business_hours": True,
    }
    assert api_client_for(alice).get(f"{TICKETS}{ticket.pk}/sla/").status_code == 403
    assert api_client_for(alice).get("/api/v1/sla/policies/").status_code == 403


def test_a_requester_cannot_read_sla_state_through_the_list_filter(api_client_for, alice, bob, policy, clock):
    """`sla` is null for requesters on every ticket; the `sla` filter must not answer the same question."""
    clock.to(berlin(2026, 3, 2, 9, 0))
    ticket_create(requester=alice, actor=bob, subject="Late", priority=Priority.URGENT)
    clock.to(berlin(2026, 3, 2, 14, 30))  # the first response was due at 13:00
    sla_sweep()
    client = api_client_for(alice)

    breached = client.get(f"{TICKETS}?sla=breached")
    due_soon = client.get(f"{TICKETS}?sla=due_soon")

    # Whatever the answer (a 400, or the filter ignored), it must not depend on the ticket's SLA clocks.
    answers = [(response.status_code, response.json().get("results")) for response in (breached, due_soon)]
    assert answers[0] == answers[1]
