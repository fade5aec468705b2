"""Odd input anywhere in the API gets a 4xx with the error body, never a 500."""

from __future__ import annotations

import json

import pytest

ODD_JSON_BODIES = ["5", '"text"', "[]", "null", '{"subject": ["a"], "tags": "x"}', '{"status": {"a": 1}}', "[1, 2]"]


@pytest.fixture
def endpoints(ticket, alice):
    return [
        ("post", "/api/v1/tickets/"),
        ("patch", f"/api/v1/tickets/{ticket.pk}/"),
        ("post", f"/api/v1/tickets/{ticket.pk}/comments/"),
        ("post", "/api/v1/users/"),
        ("patch", f"/api/v1/users/{alice.pk}/"),
        ("post", "/api/v1/auth/token"),
    ]


@pytest.mark.parametrize("body", ODD_JSON_BODIES)
@pytest.mark.parametrize("who", ["alice", "carol"])
def test_odd_json_bodies_never_cause_a_server_error(api_client_for, endpoints, body, who, request):
    client = api_client_for(request.getfixturevalue(who))
    client.raise_request_exception = False
    for method, url in endpoints:
        response = getattr(client, method)(url, body, content_type="application/json")
        assert response.status_code < 500, (method, url, body, response.status_code)
        if response.status_code >= 400:
            assert set(json.loads(response.content)) == {"error"}


@pytest.mark.parametrize(
    "query",
    [
        "cursor=garbage",
        "page_size=-1",
        "page_size=abc",
        "ordering=bogus",
        "created_after=yesterday",
        "requester=abc",
        "status=",
        "tag=%00",
        "q=%00",
    ],
)
def test_odd_query_strings_are_never_500(api_client_for, bob, ticket, query):
    client = api_client_for(bob)
    client.raise_request_exception = False
    response = client.get(f"/api/v1/tickets/?{query}")
    assert response.status_code < 500, (query, response.status_code)


def test_a_json_body_naming_a_field_twice_is_refused_rather_than_read_as_its_last_value(api_client_for, bob, ticket):
    body = '{"priority": "urgent", "status": "open", "priority": "low"}'
    response = api_client_for(bob).patch(f"/api/v1/tickets/{ticket.pk}/", body, content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "parse_error" and "priority" in error["message"]
    ticket.refresh_from_db()
    assert ticket.status == "new"
