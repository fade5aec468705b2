"""POST /api/v1/forms/{slug}/submissions/: valid answers open a ticket; invalid ones are 400 keyed by field."""

from __future__ import annotations

from forms_builder.models import Form, Submission
from tests.forms_builder.api.support import submissions_url
from tickets.models import BODY_MAX_CHARS, Priority, Ticket


def test_web_bug_without_a_version_opens_a_ticket(api_client_for, alice, bug_report, category, team):
    answers = {"product": "web", "summary": "Login button does nothing", "details": "Since this morning."}
    response = api_client_for(alice).post(submissions_url(bug_report), {"answers": answers}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    ticket = Ticket.objects.get(pk=body["id"])
    assert (ticket.requester, ticket.category, ticket.team) == (alice, category, team)
    assert ticket.subject == body["subject"] == "Web: Login button does nothing"
    assert ticket.description == "Since this morning."
    assert (ticket.priority, body["priority"]) == (Priority.HIGH, "high")
    assert ticket.submission.version == bug_report.versions.get()
    assert ticket.submission.answers == answers


def test_desktop_bug_with_its_version_opens_a_ticket(api_client_for, alice, bug_report):
    answers = {"product": "desktop", "version": "2.1", "summary": "Crashes on start"}
    response = api_client_for(alice).post(submissions_url(bug_report), {"answers": answers}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["subject"] == "Desktop: Crashes on start"
    assert Submission.objects.get().answers["version"] == "2.1"


def test_desktop_bug_without_a_version_is_refused_with_details_by_field_key(api_client_for, alice, bug_report):
    answers = {"product": "desktop", "summary": "Crashes on start"}
    response = api_client_for(alice).post(submissions_url(bug_report), {"answers": answers}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["details"]) == {"version"}
    assert not Ticket.objects.exists()


def test_an_answer_to_a_hidden_field_is_dropped(api_client_for, alice, bug_report):
    answers = {"product": "web", "version": "9.9", "summary": "Typo on the home page"}
    response = api_client_for(alice).post(submissions_url(bug_report), {"answers": answers}, format="json")
    assert response.status_code == 201, response.content
    assert "version" not in Submission.objects.get().answers


def test_answers_that_are_not_an_object_are_refused(api_client_for, alice, bug_report):
    response = api_client_for(alice).post(submissions_url(bug_report), {"answers": ["web"]}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"answers"}


def test_a_body_that_is_not_an_object_is_refused(api_client_for, alice, bug_report):
    response = api_client_for(alice).post(submissions_url(bug_report), ["web"], format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_an_inactive_form_is_404_and_opens_nothing(api_client_for, alice, bug_report):
    Form.objects.filter(pk=bug_report.pk).update(is_active=False)
    answers = {"product": "web", "summary": "Hello?"}
    response = api_client_for(alice).post(submissions_url(bug_report), {"answers": answers}, format="json")
    assert response.status_code == 404
    assert not Ticket.objects.exists()


def test_anonymous_gets_401(api_client_for, bug_report):
    answers = {"product": "web", "summary": "Hello?"}
    response = api_client_for(None).post(submissions_url(bug_report), {"answers": answers}, format="json")
    assert response.status_code == 401
    assert not Ticket.objects.exists()


def test_a_description_answer_longer_than_the_limit_is_refused_by_its_key(api_client_for, alice, bug_report):
    answers = {"product": "web", "summary": "Long", "details": "x" * (BODY_MAX_CHARS + 1)}

    response = api_client_for(alice).post(submissions_url(bug_report), {"answers": answers}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"details": ["Enter at most 65536 characters."]}
    assert not Ticket.objects.exists()
