"""GET/POST /api/v1/tickets/{id}/comments/, with attachments."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.support.api import assert_error_body
from tickets.models import BODY_MAX_CHARS, Attachment, Comment, Status, TicketEventKind
from tickets.services import comment_create, ticket_change_status


def url(ticket) -> str:
    return f"/api/v1/tickets/{ticket.pk}/comments/"


@pytest.fixture
def conversation(ticket, alice, bob):
    comment_create(ticket=ticket, author=alice, body="Please help")
    comment_create(ticket=ticket, author=bob, body="Customer seems annoyed", internal=True)
    comment_create(ticket=ticket, author=bob, body="Refund issued")
    return ticket


def bodies(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["body"] for row in response.json()["results"]]


def test_requester_sees_public_comments_only(api_client_for, alice, conversation):
    assert bodies(api_client_for(alice).get(url(conversation))) == ["Please help", "Refund issued"]


def test_agent_sees_internal_notes_too(api_client_for, bob, conversation):
    assert bodies(api_client_for(bob).get(url(conversation))) == [
        "Please help",
        "Customer seems annoyed",
        "Refund issued",
    ]


def test_mallory_gets_404_reading_and_writing(api_client_for, mallory, conversation):
    client = api_client_for(mallory)
    assert client.get(url(conversation)).status_code == 404
    assert client.post(url(conversation), {"body": "hi"}, format="json").status_code == 404
    assert Comment.objects.count() == 3


def test_requester_replies_with_markdown(api_client_for, alice, ticket):
    response = api_client_for(alice).post(url(ticket), {"body": "It **still** fails"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["body_html"] == "<p>It <strong>still</strong> fails</p>\n"
    assert body["internal"] is False and body["author"] == alice.pk


def test_requester_cannot_post_an_internal_note(api_client_for, alice, ticket):
    response = api_client_for(alice).post(url(ticket), {"body": "x", "internal": True}, format="json")
    assert response.status_code == 403
    assert not Comment.objects.exists()


def test_agent_posts_an_internal_note(api_client_for, bob, ticket):
    response = api_client_for(bob).post(url(ticket), {"body": "between us", "internal": True}, format="json")
    assert response.status_code == 201
    assert Comment.objects.get().internal is True


def test_requester_reply_reopens_a_resolved_ticket(api_client_for, alice, bob, ticket):
    ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED)
    api_client_for(alice).post(url(ticket), {"body": "not fixed"}, format="json")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_reply_to_closed_ticket_by_requester_is_409(api_client_for, alice, bob, ticket):
    ticket_change_status(ticket=ticket, actor=bob, status=Status.CLOSED)
    response = api_client_for(alice).post(url(ticket), {"body": "hello"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "ticket_closed"


def test_empty_body_is_a_field_error(api_client_for, alice, ticket):
    response = api_client_for(alice).post(url(ticket), {"body": ""}, format="json")
    assert response.status_code == 400
    assert "body" in response.json()["error"]["details"]


def test_multipart_reply_with_attachments(api_client_for, alice, ticket):
    files = [
        SimpleUploadedFile("screen shot.png", b"\x89PNG\r\n\x1a\nfake", content_type="image/png"),
        SimpleUploadedFile("page.html", b"<script>alert(1)</script>", content_type="text/html"),
    ]
    response = api_client_for(alice).post(url(ticket), {"body": "see files", "files": files}, format="multipart")
    assert response.status_code == 201, response.content
    attachments = response.json()["attachments"]
    assert [(a["filename"], a["size"], a["content_type"]) for a in attachments] == [
        ("screen shot.png", 12, "image/png"),
        ("page.html", 25, "application/octet-stream"),
    ]
    assert attachments[0]["download_url"].startswith("http://testserver/api/v1/attachments/")
    assert ticket.events.filter(kind=TicketEventKind.ATTACHMENT).count() == 2


def test_attachment_over_the_size_limit_is_413_and_nothing_is_saved(api_client_for, alice, ticket, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    big = SimpleUploadedFile("big.txt", b"x" * 11, content_type="text/plain")
    response = api_client_for(alice).post(url(ticket), {"body": "big", "files": [big]}, format="multipart")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file_too_large"
    assert not Comment.objects.exists() and not Attachment.objects.exists()


def test_an_empty_file_is_a_field_error_naming_it_and_nothing_is_saved(api_client_for, alice, ticket):
    files = [
        SimpleUploadedFile("log.txt", b"stack trace", content_type="text/plain"),
        SimpleUploadedFile("empty.txt", b"", content_type="text/plain"),
    ]
    response = api_client_for(alice).post(url(ticket), {"body": "logs", "files": files}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid",
        "message": "“empty.txt” is empty.",
        "details": {"files": ["“empty.txt” is empty."]},
    }
    assert not Comment.objects.exists() and not Attachment.objects.exists()


def test_a_comment_refused_for_its_status_leaves_no_file_in_storage(api_client_for, bob, ticket, stored_files):
    ticket_change_status(ticket=ticket, actor=bob, status=Status.CLOSED)
    before = stored_files()
    upload = SimpleUploadedFile("log.txt", b"stack trace", content_type="text/plain")

    response = api_client_for(bob).post(
        url(ticket), {"body": "Done", "status": "pending", "files": [upload]}, format="multipart"
    )

    assert response.status_code == 409, response.content
    assert not Attachment.objects.exists()
    assert stored_files() == before


def test_comment_list_query_count_is_bounded(api_client_for, bob, alice, ticket, django_assert_max_num_queries):
    for i in range(30):
        comment_create(
            ticket=ticket,
            author=alice,
            body=f"c{i}",
            files=[SimpleUploadedFile(f"f{i}.txt", b"x", content_type="text/plain")],
        )
    client = api_client_for(bob)
    with django_assert_max_num_queries(5):
        assert len(bodies(client.get(url(ticket) + "?page_size=30"))) == 30


def test_a_comment_longer_than_the_limit_is_refused_and_nothing_is_posted(api_client_for, bob, ticket):
    response = api_client_for(bob).post(url(ticket), {"body": "x" * (BODY_MAX_CHARS + 1)}, format="json")

    error = assert_error_body(response, 400, "invalid")
    assert error["details"]["body"] == ["Ensure this field has no more than 65536 characters."]
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_a_comment_at_the_limit_is_posted(api_client_for, bob, ticket):
    response = api_client_for(bob).post(url(ticket), {"body": "x" * BODY_MAX_CHARS}, format="json")

    assert response.status_code == 201
    assert len(Comment.objects.get(ticket=ticket).body) == BODY_MAX_CHARS
