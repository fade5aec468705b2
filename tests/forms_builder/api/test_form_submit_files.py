"""Multipart submissions: `answers` as a JSON string, a file field's uploads as parts named after its key."""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.forms_builder.api.support import submissions_url
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
