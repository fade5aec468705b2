"""JSON nested 50,000 deep (the outside run's example) is a 400 on every JSON door, never a RecursionError 500."""

from __future__ import annotations

import pytest

from tests.forms_builder.api.support import bug_report_form, submissions_url
from tests.support.api import assert_error_body
from tests.support.hostile import DEEP_JSON, nested, row_counts


@pytest.fixture
def json_doors(ticket, alice, carol, category):
    form = bug_report_form(category, admin=carol)
    return [
        ("post", "/api/v1/tickets/"),
        ("patch", f"/api/v1/tickets/{ticket.pk}/"),
        ("post", f"/api/v1/tickets/{ticket.pk}/comments/"),
        ("post", "/api/v1/users/"),
        ("patch", f"/api/v1/users/{alice.pk}/"),
        ("post", submissions_url(form)),
    ]


def test_the_anonymous_token_endpoint_refuses_deep_nesting(client, db):
    before = row_counts()
    response = client.post("/api/v1/auth/token", DEEP_JSON, content_type="application/json")
    assert_error_body(response, 400, "parse_error")
    assert row_counts() == before


def test_every_json_endpoint_refuses_deep_nesting(api_client_for, carol, json_doors):
    client = api_client_for(carol)
    before = row_counts()
    for method, url in json_doors:
        response = getattr(client, method)(url, DEEP_JSON, content_type="application/json")
        assert_error_body(response, 400, "parse_error")
    assert row_counts() == before


def test_nesting_just_past_the_limit_is_refused_too(api_client_for, alice):
    response = api_client_for(alice).post(
        "/api/v1/tickets/", {"subject": "x", "description": nested(33)}, format="json"
    )
    assert_error_body(response, 400, "parse_error")


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data"])
def test_a_form_encoded_answers_value_refuses_deep_nesting(api_client_for, alice, category, carol, content_type):
    form = bug_report_form(category, admin=carol)
    client = api_client_for(alice)
    before = row_counts()
    if content_type == "multipart/form-data":
        response = client.post(submissions_url(form), {"answers": DEEP_JSON}, format="multipart")
    else:
        response = client.post(submissions_url(form), f"answers={DEEP_JSON}", content_type=content_type)
    error = assert_error_body(response, 400, "invalid")
    assert "answers" in error["details"]
    assert row_counts() == before
