"""Attachments in an S3-compatible object store (moto in server mode, a real HTTP server started by the test): the
file goes to the bucket, not the disk, stays private there, and only the permission-checked view streams it. A store
that does not answer is a 503 (pages: a message, with what was typed kept), never a 500 and never half a message."""

from __future__ import annotations

import os
import tracemalloc
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tests.forms_builder.examples import bug_report_form
from tests.forms_builder.pages_support import answers, fill_url
from tests.support.s3 import MotoS3
from tickets.models import Attachment, Comment, Ticket
from tickets.services import comment_create, ticket_create
from tickets.tasks import attachments_orphaned_delete

CONTENT = b"%PDF-1.4 invoice for March\n"


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoS3]:
    server = MotoS3(tmp_path_factory.mktemp("moto")).start()
    yield server
    server.stop()


@pytest.fixture
def on_s3(moto: MotoS3, settings) -> MotoS3:
    settings.STORAGES = {**settings.STORAGES, "default": moto.storage_settings()}
    return moto


@pytest.fixture
def s3_down(tmp_path: Path, settings) -> MotoS3:
    """A bucket whose server is not running: nothing answers on its port."""
    down = MotoS3(tmp_path)
    settings.STORAGES = {**settings.STORAGES, "default": down.storage_settings()}
    return down


def test_an_upload_lands_in_the_bucket_and_not_on_disk(on_s3, alice, category, settings):
    upload = SimpleUploadedFile("invoice.pdf", CONTENT, content_type="application/pdf")

    ticket = ticket_create(requester=alice, subject="Wrong invoice", category=category, files=[upload])

    attachment = ticket.attachments.get()
    assert f"attachments/{attachment.file.name}" in on_s3.object_keys()
    assert not Path(settings.MEDIA_ROOT).exists() or not any(Path(settings.MEDIA_ROOT).rglob("*"))


def test_the_requester_downloads_it_through_the_permission_checked_view(on_s3, alice, mallory, ticket, client_for):
    upload = SimpleUploadedFile("invoice.pdf", CONTENT)
    attachment = comment_create(ticket=ticket, author=alice, body="Here", files=[upload]).attachments.get()

    mine = client_for(alice).get(reverse("attachment_download", args=[attachment.pk]))
    theirs = client_for(mallory).get(reverse("attachment_download", args=[attachment.pk]))

    assert mine.status_code == 200 and b"".join(mine.streaming_content) == CONTENT
    assert mine["Content-Disposition"].startswith("attachment") and mine["Cache-Control"] == "private, no-store"
    assert theirs.status_code == 404


def test_the_object_is_private_in_the_bucket(on_s3, alice, ticket):
    upload = SimpleUploadedFile("invoice.pdf", CONTENT)
    attachment = comment_create(ticket=ticket, author=alice, body="Here", files=[upload]).attachments.get()

    acl = on_s3.client().get_object_acl(Bucket=on_s3.bucket, Key=f"attachments/{attachment.file.name}")

    assert all("AllUsers" not in str(grant["Grantee"]) for grant in acl["Grants"])
    anonymous = requests.get(f"{on_s3.url}/{on_s3.bucket}/attachments/{attachment.file.name}", timeout=10)
    assert anonymous.status_code == 403 or anonymous.content != CONTENT


def test_a_download_streams_from_the_bucket_without_holding_the_whole_file(on_s3, alice, ticket, client_for):
    content = os.urandom(4 * 1024 * 1024)
    upload = SimpleUploadedFile("scan.pdf", content, content_type="application/pdf")
    attachment = comment_create(ticket=ticket, author=alice, body="Here", files=[upload]).attachments.get()
    client = client_for(alice)

    tracemalloc.start()
    try:
        response = client.get(reverse("attachment_download", args=[attachment.pk]))
        chunks = iter(response.streaming_content)
        first = next(chunks)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < len(content) / 4  # the first bytes went out before the rest of the object was read
    assert response["Content-Length"] == str(len(content))
    assert first + b"".join(chunks) == content


def test_an_object_gone_from_the_bucket_is_a_404(on_s3, alice, ticket, client_for):
    upload = SimpleUploadedFile("invoice.pdf", CONTENT)
    attachment = comment_create(ticket=ticket, author=alice, body="Here", files=[upload]).attachments.get()
    on_s3.client().delete_object(Bucket=on_s3.bucket, Key=f"attachments/{attachment.file.name}")

    response = client_for(alice).get(reverse("attachment_download", args=[attachment.pk]))

    assert response.status_code == 404


def test_an_object_a_killed_request_left_is_deleted_after_the_grace_period(on_s3, alice, ticket):
    """The bucket is listed by the month's prefix and the object's age is the store's own (LastModified)."""
    for key in on_s3.object_keys():  # the other tests' objects: their rows went with their transactions
        on_s3.client().delete_object(Bucket=on_s3.bucket, Key=key)
    kept = comment_create(ticket=ticket, author=alice, body="Here", files=[SimpleUploadedFile("a.pdf", CONTENT)])
    recorded = f"attachments/{kept.attachments.get().file.name}"
    with pytest.raises(RuntimeError), transaction.atomic():  # killed before its transaction commits
        comment_create(ticket=ticket, author=alice, body="Lost", files=[SimpleUploadedFile("b.pdf", CONTENT)])
        raise RuntimeError("SIGKILL")
    (orphan,) = set(on_s3.object_keys()) - {recorded}

    with time_machine.travel(timezone.now() + timedelta(minutes=10), tick=False):
        attachments_orphaned_delete()
    assert orphan in on_s3.object_keys()

    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        assert attachments_orphaned_delete() == 1
    assert on_s3.object_keys() == [recorded]


def test_a_reply_while_the_store_is_down_is_refused_on_the_page_keeping_its_text(s3_down, alice, ticket, client_for):
    data = {"body": "The invoice, again", "attachments": SimpleUploadedFile("invoice.pdf", CONTENT)}

    response = client_for(alice).post(reverse("ticket_reply", args=[ticket.pk]), data)

    body = response.content.decode()
    assert response.status_code == 200
    assert "could not be stored just now, so nothing was sent" in body
    assert "The invoice, again</textarea>" in body
    assert not Comment.objects.exists() and not Attachment.objects.exists()


def test_a_form_sent_while_the_store_is_down_opens_no_ticket_and_says_why(s3_down, alice, category, carol, client_for):
    form = bug_report_form(category=category, admin=carol)
    screenshot = SimpleUploadedFile("screen.png", b"\x89PNG fake", content_type="image/png")
    data = {**answers(product="web", summary="Button is grey"), "answer-screenshot": screenshot}

    response = client_for(alice).post(fill_url(form), data)

    assert response.status_code == 200
    assert "could not be stored just now, so nothing was sent" in response.content.decode()
    assert not Ticket.objects.exists()


def test_an_api_comment_while_the_store_is_down_is_a_503_to_retry(s3_down, api_client_for, alice, ticket):
    data = {"body": "The invoice", "files": [SimpleUploadedFile("invoice.pdf", CONTENT)]}

    response = api_client_for(alice).post(f"/api/v1/tickets/{ticket.pk}/comments/", data, format="multipart")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
    assert int(response["Retry-After"]) > 0
    assert not Comment.objects.exists()


def test_a_download_while_the_store_is_down_is_a_503(on_s3, alice, ticket, client_for, api_client_for, settings):
    upload = SimpleUploadedFile("invoice.pdf", CONTENT)
    attachment = comment_create(ticket=ticket, author=alice, body="Here", files=[upload]).attachments.get()
    down = MotoS3(on_s3.folder)  # never started: nothing answers on its port
    settings.STORAGES = {**settings.STORAGES, "default": down.storage_settings()}

    page = client_for(alice).get(reverse("attachment_download", args=[attachment.pk]))
    api = api_client_for(alice).get(f"/api/v1/attachments/{attachment.pk}/download")

    assert page.status_code == 503 and "cannot be read from storage just now" in page.content.decode()
    assert api.status_code == 503 and api.json()["error"]["code"] == "service_unavailable"
