"""Limits and odd input: oversized bodies are 413, bad page sizes and unknown query parameters are 400."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from helpdesk.limits import LimitedJSONParser, RequestTooLarge
from search.services import ticket_documents_rebuild
from tests.support.api import assert_error_body
from tickets.models import Comment, Ticket


def test_a_json_body_over_the_limit_is_413(api_client_for, alice, settings):
    settings.API_MAX_BODY_BYTES = 1000
    body = json.dumps({"subject": "Big", "description": "x" * 1000})
    response = api_client_for(alice).post("/api/v1/tickets/", body, content_type="application/json")
    assert_error_body(response, 413, "request_too_large")
    assert not Ticket.objects.exists()


def test_a_json_body_within_the_limit_is_accepted(api_client_for, alice, settings):
    settings.API_MAX_BODY_BYTES = 1000
    body = json.dumps({"subject": "Small", "description": "x" * 900})
    assert api_client_for(alice).post("/api/v1/tickets/", body, content_type="application/json").status_code == 201


def test_a_form_body_over_the_limit_is_413(api_client_for, alice, settings):
    settings.API_MAX_BODY_BYTES = 100
    body = "subject=Big&description=" + "x" * 200
    response = api_client_for(alice).post("/api/v1/tickets/", body, content_type="application/x-www-form-urlencoded")
    assert_error_body(response, 413, "request_too_large")


def test_a_body_longer_than_its_content_length_claims_is_cut_off_at_the_limit(settings):
    """A server in front may pass a body with no or a wrong Content-Length: the read itself is capped too."""
    settings.API_MAX_BODY_BYTES = 100
    request = RequestFactory().post("/", data=b"{}", content_type="application/json")
    assert request.META["CONTENT_LENGTH"] == "2"
    stream = io.BytesIO(json.dumps({"description": "x" * 500}).encode())
    with pytest.raises(RequestTooLarge):
        LimitedJSONParser().parse(stream, parser_context={"request": request})


@pytest.mark.usefixtures("two_files_of_1000_bytes")
def test_a_multipart_body_over_the_attachment_allowance_is_413(api_client_for, alice, ticket):
    files = [SimpleUploadedFile(f"{i}.txt", b"x" * 1000) for i in range(3)]
    response = api_client_for(alice).post(
        f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "logs", "files": files}, format="multipart"
    )
    assert_error_body(response, 413, "request_too_large")
    assert not Comment.objects.exists()


@pytest.mark.usefixtures("two_files_of_1000_bytes")
def test_a_multipart_body_within_the_allowance_is_accepted(api_client_for, alice, ticket):
    files = [SimpleUploadedFile(f"{i}.txt", b"x" * 1000) for i in range(2)]
    response = api_client_for(alice).post(
        f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "logs", "files": files}, format="multipart"
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("page_size", ["abc", "0", "-1", "101", "1.5", "", "%C2%B2"])
@pytest.mark.parametrize("path", ["/api/v1/tickets/", "/api/v1/categories/"])
def test_a_page_size_that_is_not_1_to_100_is_400(api_client_for, bob, path, page_size):
    response = api_client_for(bob).get(f"{path}?page_size={page_size}")
    error = assert_error_body(response, 400, "invalid")
    assert list(error["details"]) == ["page_size"]


@pytest.mark.parametrize("page_size", ["1", "100"])
def test_page_sizes_from_1_to_100_are_accepted(api_client_for, bob, ticket, page_size):
    assert api_client_for(bob).get(f"/api/v1/tickets/?page_size={page_size}").status_code == 200


def test_unknown_query_parameters_are_400_naming_each_one(api_client_for, bob):
    response = api_client_for(bob).get("/api/v1/tickets/?status=open&stauts=new&sort=priority")
    error = assert_error_body(response, 400, "invalid")
    assert set(error["details"]) == {"stauts", "sort"}


def test_unknown_query_parameters_are_refused_on_nested_lists_too(api_client_for, alice, ticket):
    response = api_client_for(alice).get(f"/api/v1/tickets/{ticket.pk}/comments/?internal=true")
    assert set(assert_error_body(response, 400, "invalid")["details"]) == {"internal"}


def test_every_documented_ticket_list_parameter_is_accepted(api_client_for, bob, ticket):
    ticket_documents_rebuild(ticket_ids=[ticket.pk])  # what the worker does after the ticket's event
    query = (
        "status=new,open&priority=normal&assignee=none&team=&category=&requester=&tag=&q=invoice"
        "&created_after=2020-01-01T00:00:00Z&updated_after=2020-01-01T00:00:00Z"
        "&ordering=-priority&page_size=10&format=json"
    )
    response = api_client_for(bob).get(f"/api/v1/tickets/?{query}")
    assert response.status_code == 200, response.content
    assert [row["id"] for row in response.json()["results"]] == [ticket.pk]


def test_the_user_list_accepts_its_filters(api_client_for, bob):
    assert api_client_for(bob).get("/api/v1/users/?role=agent&is_active=true&page_size=5").status_code == 200


def test_a_cursor_from_a_next_link_is_accepted(api_client_for, bob, alice):
    for i in range(3):
        Ticket.objects.create(requester=alice, subject=f"t{i}")
    client = api_client_for(bob)
    next_url = client.get("/api/v1/tickets/?page_size=1&status=new").json()["next"]
    assert client.get(next_url).status_code == 200
