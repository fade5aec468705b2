"""GET /api/v1/tickets/{id}/."""

from __future__ import annotations


def test_requester_reads_her_ticket(api_client_for, alice, ticket):
    response = api_client_for(alice).get(f"/api/v1/tickets/{ticket.pk}/")
    assert response.status_code == 200
    assert response.json()["subject"] == "Invoice is wrong"


def test_mallory_gets_404_for_alices_ticket(api_client_for, mallory, ticket):
    response = api_client_for(mallory).get(f"/api/v1/tickets/{ticket.pk}/")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found.", "details": {}}}


def test_agent_reads_any_ticket(api_client_for, bob, ticket):
    assert api_client_for(bob).get(f"/api/v1/tickets/{ticket.pk}").status_code == 200


def test_non_numeric_id_is_404(api_client_for, bob):
    assert api_client_for(bob).get("/api/v1/tickets/abc/").status_code == 404
