"""Whose ticket a submission opens: the caller's; staff may name a requester, requesters may not."""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.settings import api_settings

from accounts.services import user_update
from forms_builder.definitions import RESERVED_KEYS
from forms_builder.models import Submission
from forms_builder.serializers import SubmissionCreateSerializer
from tests.forms_builder.api.support import submissions_url
from tests.forms_builder.examples import form_with_one_field
from tickets.models import Ticket

ANSWERS = {"product": "web", "summary": "Phoned in"}


def test_an_agent_submits_on_behalf_of_a_requester(api_client_for, bob, alice, bug_report):
    body = {"answers": ANSWERS, "requester": alice.pk}
    response = api_client_for(bob).post(submissions_url(bug_report), body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["requester"] == alice.pk
    ticket = Ticket.objects.get()
    assert ticket.requester == alice
    assert ticket.events.get().actor == bob


def test_mallory_cannot_open_a_ticket_in_someone_elses_name(api_client_for, mallory, alice, bug_report):
    body = {"answers": ANSWERS, "requester": alice.pk}
    response = api_client_for(mallory).post(submissions_url(bug_report), body, format="json")
    assert response.status_code == 403
    assert set(response.json()["error"]["details"]) == {"requester"}
    assert not Ticket.objects.exists()


def test_without_a_requester_the_ticket_is_the_callers(api_client_for, bob, bug_report):
    response = api_client_for(bob).post(submissions_url(bug_report), {"answers": ANSWERS}, format="json")
    assert response.status_code == 201, response.content
    assert Ticket.objects.get().requester == bob


def test_a_refused_requester_and_the_answers_problems_are_reported_in_one_response(
    api_client_for, bob, alice, carol, bug_report
):
    user_update(user=alice, actor=carol, is_active=False)
    body = {"answers": {"product": "desktop", "summary": "Crashes on start"}, "requester": alice.pk}

    response = api_client_for(bob).post(submissions_url(bug_report), body, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["details"]) == {"requester", "version"}
    assert not Ticket.objects.exists()


def test_a_multipart_submission_names_the_refused_requester_and_the_answers_problems(
    api_client_for, bob, alice, carol, bug_report
):
    user_update(user=alice, actor=carol, is_active=False)
    data = {
        "answers": json.dumps({"product": "desktop", "summary": "Crashes on start"}),
        "requester": alice.pk,
        "screenshot": SimpleUploadedFile("tool.exe", b"MZ", content_type="application/octet-stream"),
    }

    response = api_client_for(bob).post(submissions_url(bug_report), data, format="multipart")

    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"requester", "version", "screenshot"}
    assert not Ticket.objects.exists()


def test_no_field_may_take_a_key_the_submission_reports_its_own_problems_under():
    """The answers' problems are keyed by field key in the same `details` (forms_builder.definitions.RESERVED_KEYS)."""
    own = {*SubmissionCreateSerializer().fields, api_settings.NON_FIELD_ERRORS_KEY}

    assert own <= RESERVED_KEYS


def test_a_form_published_with_a_field_keyed_requester_reports_its_problems_apart_from_the_bodys(
    api_client_for, bob, alice, carol, category
):
    """Published before the key was refused: its answer's problems go under `answers.<key>`, which no key can take."""
    form = form_with_one_field(category=category, admin=carol, key="requester", max_length=5)
    user_update(user=alice, actor=carol, is_active=False)
    body = {"answers": {"requester": "Someone"}, "requester": alice.pk}

    response = api_client_for(bob).post(submissions_url(form), body, format="json")

    assert response.status_code == 400
    details = response.json()["error"]["details"]
    assert details.pop("answers.requester") == ["Enter at most 5 characters."]
    assert set(details) == {"requester"}
    assert "Enter at most 5 characters." not in details["requester"]
    assert not Ticket.objects.exists()


def test_a_form_published_with_a_field_keyed_requester_still_opens_tickets(api_client_for, alice, carol, category):
    form = form_with_one_field(category=category, admin=carol, key="requester", max_length=5)

    response = api_client_for(alice).post(submissions_url(form), {"answers": {"requester": "Ann"}}, format="json")

    assert response.status_code == 201, response.content
    assert Submission.objects.get().answers == {"requester": "Ann"}
