"""NUL bytes and lone surrogates are refused where input enters: a 400 naming the field, or a page saying so.

PostgreSQL cannot store a NUL in text, and no database encoding stores a lone surrogate; before this, each of these
requests was a 500 somewhere deeper (the Markdown sanitizer, the database write, the rate limit's key).
"""

from __future__ import annotations

import json

import pytest

from tests.forms_builder.api.support import bug_report_form, submissions_url
from tests.forms_builder.pages_support import answers, fill_url
from tests.support.api import assert_error_body
from tests.support.hostile import row_counts

SURROGATE = "\ud800"


def raw_json(data: dict) -> str:
    """json.dumps escapes a lone surrogate as \\ud800, which is how a client sends one."""
    return json.dumps(data)


@pytest.fixture
def bug_form(category, carol):
    return bug_report_form(category, admin=carol, public=True)


@pytest.mark.parametrize("bad", [SURROGATE, "\x00"])
def test_form_answers_with_an_unstorable_character_are_refused(api_client_for, alice, bug_form, bad):
    client = api_client_for(alice)
    before = row_counts()
    body = raw_json({"answers": {"product": "web", "summary": f"Crash {bad} on save"}})
    response = client.post(submissions_url(bug_form), body, content_type="application/json")
    error = assert_error_body(response, 400, "invalid")
    assert "answers.summary" in error["details"]
    assert row_counts() == before


@pytest.mark.parametrize("bad", [SURROGATE, "\x00"])
def test_a_comment_body_with_an_unstorable_character_is_refused(api_client_for, alice, ticket, bad):
    client = api_client_for(alice)
    before = row_counts()
    body = raw_json({"body": f"Thanks{bad}"})
    response = client.post(f"/api/v1/tickets/{ticket.pk}/comments/", body, content_type="application/json")
    assert list(assert_error_body(response, 400, "invalid")["details"]) == ["body"]
    assert row_counts() == before


def test_the_token_endpoint_refuses_a_lone_surrogate_in_the_email(client, db):
    body = raw_json({"email": f"a{SURROGATE}@example.com", "password": "x"})
    response = client.post("/api/v1/auth/token", body, content_type="application/json")
    assert "email" in assert_error_body(response, 400, "invalid")["details"]


def test_a_multipart_field_with_a_nul_is_refused(api_client_for, alice, ticket):
    response = api_client_for(alice).post(
        f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "a\x00b"}, format="multipart"
    )
    assert "body" in assert_error_body(response, 400, "invalid")["details"]


@pytest.mark.parametrize("query", ["q=%00", "tag=%00", "status=new%00", "cursor=%00"])
def test_a_nul_in_an_api_query_string_is_refused(api_client_for, bob, ticket, query):
    response = api_client_for(bob).get(f"/api/v1/tickets/?{query}")
    name = query.split("=")[0]
    assert name in assert_error_body(response, 400, "invalid")["details"]


def test_the_public_form_page_refuses_a_nul_with_a_message(client, bug_form):
    before = row_counts()
    data = {"requester-email": "guest@example.com", **answers(product="web", summary="Crash\x00 on save")}
    response = client.post(fill_url(bug_form), data)
    assert response.status_code == 400
    assert b"cannot be stored" in response.content
    assert row_counts() == before


@pytest.mark.parametrize(
    "url",
    [
        "/admin/tickets/ticket/?status__exact=%00",
        "/admin/tickets/ticket/?q=%00",
        "/admin/autocomplete/?app_label=tickets&model_name=ticket&field_name=requester&term=%00",
        "/staff/?q=%00",
    ],
)
def test_staff_pages_and_the_admin_refuse_a_nul_in_the_query_with_a_message(client_for, carol, url):
    response = client_for(carol).get(url)
    assert response.status_code == 400
    assert b"cannot be stored" in response.content


def test_an_admin_form_post_with_a_nul_saves_nothing(client_for, carol, ticket):
    response = client_for(carol).post(
        f"/admin/tickets/ticket/{ticket.pk}/change/", {"subject": "New\x00subject", "description": "x"}
    )
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.subject == "Invoice is wrong"
