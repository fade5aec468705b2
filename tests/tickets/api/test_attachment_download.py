"""GET /api/v1/attachments/{id}/download: only for those who may see the comment; safe headers."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.support.api import assert_error_body
from tickets.services import comment_create


@pytest.fixture
def public_png(ticket, alice):
    png = SimpleUploadedFile("shot.png", b"\x89PNG\r\n\x1a\nfake", content_type="image/png")
    return comment_create(ticket=ticket, author=alice, body="see", files=[png]).attachments.get()


@pytest.fixture
def internal_pdf(ticket, bob):
    pdf = SimpleUploadedFile("notes.pdf", b"%PDF-1.4 fake", content_type="application/pdf")
    return comment_create(ticket=ticket, author=bob, body="internal", internal=True, files=[pdf]).attachments.get()


def download(client, attachment):
    return client.get(f"/api/v1/attachments/{attachment.pk}/download")


def test_requester_downloads_her_png_inline_with_nosniff(api_client_for, alice, public_png):
    response = download(api_client_for(alice), public_png)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"\x89PNG\r\n\x1a\nfake"
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("accept", ["image/png", "image/*", "application/octet-stream", "text/html, */*;q=0.1"])
def test_a_client_asking_for_the_files_own_type_gets_the_file(api_client_for, alice, public_png, accept):
    response = api_client_for(alice).get(f"/api/v1/attachments/{public_png.pk}/download", HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"


def test_a_refusal_is_the_json_error_body_whatever_the_accept_header(api_client_for, mallory, public_png):
    response = api_client_for(mallory).get(f"/api/v1/attachments/{public_png.pk}/download", HTTP_ACCEPT="image/png")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


def test_non_images_are_served_as_attachments(api_client_for, bob, internal_pdf):
    response = download(api_client_for(bob), internal_pdf)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="notes.pdf"'


def test_active_content_is_an_opaque_download(api_client_for, alice, ticket):
    svg = SimpleUploadedFile("x.svg", b"<svg onload=alert(1)>", content_type="image/svg+xml")
    attachment = comment_create(ticket=ticket, author=alice, body="svg", files=[svg]).attachments.get()
    response = download(api_client_for(alice), attachment)
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")


def test_requester_gets_404_for_an_internal_attachment(api_client_for, alice, internal_pdf):
    assert download(api_client_for(alice), internal_pdf).status_code == 404


def test_mallory_gets_404(api_client_for, mallory, public_png):
    response = download(api_client_for(mallory), public_png)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_stored_file_name_is_random_not_the_uploaders(public_png):
    assert "shot" not in public_png.file.name
    assert "." not in public_png.file.name.rsplit("/", 1)[-1]


def test_uploader_path_components_are_stripped(ticket, alice):
    evil = SimpleUploadedFile("../../etc/passwd", b"x", content_type="text/plain")
    attachment = comment_create(ticket=ticket, author=alice, body="x", files=[evil]).attachments.get()
    assert attachment.filename == "passwd"


def test_files_sent_with_a_new_ticket_are_downloadable_by_its_requester_only(api_client_for, alice, mallory, category):
    from tickets.services import ticket_create

    upload = SimpleUploadedFile("log.txt", b"boom", content_type="text/plain")
    ticket = ticket_create(requester=alice, subject="Crash", description="See log", files=[upload])
    attachment = ticket.attachments.get()
    assert attachment.comment is None and not ticket.comments.exists()
    assert download(api_client_for(alice), attachment).status_code == 200
    assert download(api_client_for(mallory), attachment).status_code == 404


def test_the_download_path_works_with_a_trailing_slash_too(api_client_for, alice, mallory, public_png):
    path = f"/api/v1/attachments/{public_png.pk}/download/"
    assert api_client_for(alice).get(path).status_code == 200
    assert api_client_for(mallory).get(path).status_code == 404


def test_a_file_gone_from_storage_is_a_404_not_a_server_error(api_client_for, alice, public_png):
    public_png.file.storage.delete(public_png.file.name)
    response = download(api_client_for(alice), public_png)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_head_answers_the_headers_of_a_download(api_client_for, alice, mallory, public_png):
    path = f"/api/v1/attachments/{public_png.pk}/download"
    response = api_client_for(alice).head(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Length"] == str(public_png.size)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert api_client_for(mallory).head(path).status_code == 404


def test_an_unknown_query_parameter_is_refused(api_client_for, alice, public_png):
    response = api_client_for(alice).get(f"/api/v1/attachments/{public_png.pk}/download?inline=0")
    assert list(assert_error_body(response, 400, "invalid")["details"]) == ["inline"]
