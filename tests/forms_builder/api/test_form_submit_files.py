"""Multipart submissions: `answers` as a JSON string, a file field's uploads as parts named after its key."""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile

from forms_builder.models import FieldType
from tests.forms_builder.api.support import submissions_url
from tests.forms_builder.examples import form_with_one_field
from tickets.models import Ticket


def test_a_file_answer_becomes_an_attachment_on_the_ticket(api_client_for, alice, bug_report):
    data = {
        "answers": json.dumps({"product": "web", "summary": "Broken layout"}),
        "screenshot": SimpleUploadedFile("screen.png", b"\x89PNG fake", content_type="image/png"),
    }
    response = api_client_for(alice).post(submissions_url(bug_report), data, format="multipart")
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert [attachment.filename for attachment in ticket.attachments.all()] == ["screen.png"]
    assert [listed["filename"] for listed in response.json()["attachments"]] == ["screen.png"]


def test_a_file_of_a_kind_the_field_refuses_is_a_field_error(api_client_for, alice, bug_report):
    data = {
        "answers": json.dumps({"product": "web", "summary": "Broken layout"}),
        "screenshot": SimpleUploadedFile("tool.exe", b"MZ", content_type="application/octet-stream"),
    }
    response = api_client_for(alice).post(submissions_url(bug_report), data, format="multipart")
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"screenshot"}
    assert not Ticket.objects.exists()


def test_answers_that_are_not_json_are_refused(api_client_for, alice, bug_report):
    response = api_client_for(alice).post(submissions_url(bug_report), {"answers": "{product"}, format="multipart")
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"answers"}


def test_a_field_keyed_files_has_its_problems_apart_from_the_submissions_own(
    api_client_for, alice, carol, category, settings
):
    """`files` is where opening the ticket names its own refusals (tickets.services.attachments.validate_files)."""
    settings.ATTACHMENT_MAX_FILES = 1
    form = form_with_one_field(
        category=category, admin=carol, key="files", type=FieldType.FILE, allowed_extensions="png"
    )
    client, url = api_client_for(alice), submissions_url(form)

    wrong_type = client.post(
        url, {"answers": "{}", "files": [SimpleUploadedFile("tool.exe", b"MZ")]}, format="multipart"
    )
    shots = [SimpleUploadedFile(f"shot{number}.png", b"\x89PNG") for number in (1, 2)]
    too_many = client.post(url, {"answers": "{}", "files": shots}, format="multipart")

    assert wrong_type.json()["error"]["details"] == {
        "answers.files": ["“tool.exe” is not an allowed type; upload png."]
    }
    assert too_many.json()["error"]["details"] == {"files": ["At most 1 files per message."]}
    assert not Ticket.objects.exists()
