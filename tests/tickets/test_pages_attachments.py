from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tickets.models import Attachment
from tickets.services import comment_create

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


def attach(ticket, author, filename: str, content: bytes, *, internal: bool = False) -> Attachment:
    upload = SimpleUploadedFile(filename, content)
    comment = comment_create(ticket=ticket, author=author, body="See attached", internal=internal, files=[upload])
    return comment.attachments.get()


def download(client, attachment: Attachment):
    return client.get(reverse("attachment_download", args=[attachment.pk]))


def test_requester_downloads_a_png_shown_inline(alice, ticket, client_for):
    attachment = attach(ticket, alice, "screen.png", PNG)

    response = download(client_for(alice), attachment)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PNG


@pytest.mark.parametrize("filename", ["report.pdf", "page.html", "drawing.svg", "notes"])
def test_other_files_are_always_downloaded_never_shown(alice, ticket, client_for, filename):
    attachment = attach(ticket, alice, filename, b"<script>alert(1)</script>")

    response = download(client_for(alice), attachment)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "text/html" not in response["Content-Type"]


def test_mallory_gets_404_on_alices_attachment(alice, mallory, ticket, client_for):
    attachment = attach(ticket, alice, "screen.png", PNG)

    assert download(client_for(mallory), attachment).status_code == 404


def test_requester_gets_404_on_an_attachment_of_an_internal_note(alice, bob, ticket, client_for):
    attachment = attach(ticket, bob, "finance.pdf", b"%PDF-1.4", internal=True)

    assert download(client_for(alice), attachment).status_code == 404
    assert download(client_for(bob), attachment).status_code == 200


def test_anonymous_visitor_is_sent_to_login_for_an_attachment(alice, ticket, client_for):
    attachment = attach(ticket, alice, "screen.png", PNG)

    response = download(client_for(None), attachment)

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_missing_attachment_is_404(bob, client_for, db):
    assert client_for(bob).get(reverse("attachment_download", args=[424242])).status_code == 404


def test_a_file_gone_from_storage_is_a_404_not_a_server_error(alice, ticket, client_for):
    attachment = attach(ticket, alice, "screen.png", PNG)
    attachment.file.storage.delete(attachment.file.name)

    assert download(client_for(alice), attachment).status_code == 404
