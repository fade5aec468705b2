"""GET /api/v1/tickets/{id}/."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from tickets.services import comment_create, ticket_create


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


def test_the_files_of_the_opening_message_are_listed_and_a_replys_are_not(api_client_for, alice, category):
    screenshot = SimpleUploadedFile("screen.png", b"\x89PNG\r\n\x1a\nfake", content_type="image/png")
    ticket = ticket_create(requester=alice, subject="Broken", category=category, files=[screenshot])
    comment_create(ticket=ticket, author=alice, body="And the log", files=[SimpleUploadedFile("app.log", b"boom")])
    client = api_client_for(alice)

    [listed] = client.get(f"/api/v1/tickets/{ticket.pk}/").json()["attachments"]

    assert listed["filename"] == "screen.png" and listed["size"] == 12 and listed["content_type"] == "image/png"
    assert client.get(listed["download_url"]).status_code == 200
