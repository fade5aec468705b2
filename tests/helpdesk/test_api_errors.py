"""Every error under /api/ has one body: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.support.api import assert_error_body


def test_400_validation_has_per_field_details(api_client_for, alice):
    error = assert_error_body(api_client_for(alice).post("/api/v1/tickets/", {}, format="json"), 400, "invalid")
    assert error["details"] == {"subject": ["This field is required."]}


def test_400_malformed_json(api_client_for, alice):
    response = api_client_for(alice).post("/api/v1/tickets/", "{not json", content_type="application/json")
    assert_error_body(response, 400, "parse_error")


def test_401_without_credentials(api_client_for):
    assert_error_body(api_client_for(None).get("/api/v1/tickets/"), 401, "not_authenticated")


def test_403_for_a_forbidden_action(api_client_for, alice):
    assert_error_body(api_client_for(alice).get("/api/v1/users/"), 403, "permission_denied")


def test_404_for_an_unknown_url(api_client_for, alice):
    assert_error_body(api_client_for(alice).get("/api/v1/no-such-thing/"), 404, "not_found")


def test_404_for_an_unknown_object(api_client_for, bob):
    assert_error_body(api_client_for(bob).get("/api/v1/tickets/999999/"), 404, "not_found")


def test_405_for_a_wrong_method(api_client_for, bob, ticket):
    assert_error_body(api_client_for(bob).delete(f"/api/v1/tickets/{ticket.pk}/"), 405, "method_not_allowed")


def test_409_for_an_invalid_transition(api_client_for, bob, ticket):
    client = api_client_for(bob)
    client.patch(f"/api/v1/tickets/{ticket.pk}/", {"status": "closed"}, format="json")
    response = client.patch(f"/api/v1/tickets/{ticket.pk}/", {"status": "resolved"}, format="json")
    error = assert_error_body(response, 409, "invalid_transition")
    assert "status" in error["details"]


def test_413_for_a_file_over_the_limit(api_client_for, alice, ticket, settings):
    settings.ATTACHMENT_MAX_BYTES = 4
    big = SimpleUploadedFile("a.txt", b"12345")
    response = api_client_for(alice).post(
        f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "x", "files": [big]}, format="multipart"
    )
    assert_error_body(response, 413, "file_too_large")


def test_415_for_an_unsupported_content_type(api_client_for, alice):
    response = api_client_for(alice).post("/api/v1/tickets/", "subject=x", content_type="text/plain")
    assert_error_body(response, 415, "unsupported_media_type")


def test_429_when_rate_limited(api_client_for, settings):
    settings.RATE_LIMIT_CREDENTIALS = "1/m"
    client = api_client_for(None)
    client.post("/api/v1/auth/token", {"email": "a@example.com", "password": "x"}, format="json")
    response = client.post("/api/v1/auth/token", {"email": "a@example.com", "password": "x"}, format="json")
    assert_error_body(response, 429, "throttled")


def test_500_is_the_error_body_and_leaks_nothing(api_client_for, bob, monkeypatch):
    from tickets import selectors

    def explode(user, **options):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(selectors, "ticket_list_rows", explode)
    client = api_client_for(bob)
    client.raise_request_exception = False
    response = client.get("/api/v1/tickets/")
    error = assert_error_body(response, 500, "server_error")
    assert "hunter2" not in response.content.decode()
    assert error["details"] == {}


@pytest.mark.parametrize("path", ["/tickets/999999/", "/no-such-page/"])
def test_html_pages_keep_html_errors(client, path, alice):
    client.force_login(alice)
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
