"""Browser front-ends on listed origins may call the API; no other origin, and never the pages, may read it."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.support.processes import PRODUCTION_ENV, run_django

APP = "https://app.example.com"
OTHER = "https://evil.example.net"

listed_with_credentials = override_settings(CORS_ALLOWED_ORIGINS=[APP], CORS_ALLOW_CREDENTIALS=True)


@listed_with_credentials
def test_a_listed_origin_may_read_the_api(api_client_for, alice, ticket):
    response = api_client_for(alice).get("/api/v1/tickets/", headers={"origin": APP})

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP
    assert response["Access-Control-Allow-Credentials"] == "true"


@listed_with_credentials
def test_a_listed_origin_can_read_rate_limits_etags_and_request_ids(api_client_for, alice, ticket):
    response = api_client_for(alice).get(f"/api/v1/tickets/{ticket.pk}/", headers={"origin": APP})

    exposed = {name.strip().lower() for name in response["Access-Control-Expose-Headers"].split(",")}
    assert exposed >= {
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
        "retry-after",
        "etag",
        "x-request-id",
    }


@listed_with_credentials
def test_an_unlisted_origin_gets_no_cors_headers_even_with_credentials(api_client_for, alice, ticket):
    response = api_client_for(alice).get("/api/v1/tickets/", headers={"origin": OTHER})

    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Credentials" not in response


@listed_with_credentials
def test_a_credentialed_preflight_from_a_listed_origin_allows_the_api_headers(client):
    response = client.options(
        "/api/v1/tickets/1/",
        headers={
            "origin": APP,
            "access-control-request-method": "PATCH",
            "access-control-request-headers": "authorization, content-type, idempotency-key, if-match, x-request-id",
        },
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP
    assert response["Access-Control-Allow-Credentials"] == "true"
    allowed = {name.strip() for name in response["Access-Control-Allow-Headers"].split(",")}
    assert allowed >= {"authorization", "content-type", "idempotency-key", "if-match", "x-request-id"}
    assert "PATCH" in response["Access-Control-Allow-Methods"]


@listed_with_credentials
def test_a_preflight_from_an_unlisted_origin_is_not_allowed(client):
    response = client.options("/api/v1/tickets/", headers={"origin": OTHER, "access-control-request-method": "POST"})

    assert "Access-Control-Allow-Origin" not in response


@override_settings(CORS_ALLOWED_ORIGINS=[APP])
def test_credentials_are_not_allowed_unless_switched_on(api_client_for, alice):
    response = api_client_for(alice).get("/api/v1/tickets/", headers={"origin": APP})

    assert response["Access-Control-Allow-Origin"] == APP
    assert "Access-Control-Allow-Credentials" not in response


@listed_with_credentials
@pytest.mark.parametrize("path", ["/accounts/login/", "/tickets/", "/admin/login/"])
def test_pages_outside_the_api_never_answer_cross_origin(client_for, alice, path):
    response = client_for(alice).get(path, headers={"origin": APP})

    assert "Access-Control-Allow-Origin" not in response


def test_origins_are_read_from_the_environment(tmp_path):
    result = run_django(
        "from django.conf import settings as s; print(s.CORS_ALLOWED_ORIGINS, s.CORS_ALLOW_CREDENTIALS)",
        {"CORS_ALLOWED_ORIGINS": "https://a.example.com, https://b.example.com/", "CORS_ALLOW_CREDENTIALS": "true"},
        tmp_path,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['https://a.example.com', 'https://b.example.com'] True"


def test_no_origin_is_allowed_by_default(tmp_path):
    result = run_django(
        "from django.conf import settings as s; print(s.CORS_ALLOWED_ORIGINS, s.CORS_ALLOW_ALL_ORIGINS)", {}, tmp_path
    )

    assert result.stdout.strip() == "[] False"


@pytest.mark.parametrize("debug", ["true", "false"])
@pytest.mark.parametrize(
    "wildcard",
    [
        {"CORS_ALLOWED_ORIGINS": "*"},
        {"CORS_ALLOWED_ORIGINS": "https://app.example.com,*"},
        {"CORS_ALLOW_ALL_ORIGINS": "true"},
    ],
)
def test_a_wildcard_origin_with_credentials_refuses_to_start(tmp_path, debug, wildcard):
    env = {**PRODUCTION_ENV, "DEBUG": debug, **wildcard, "CORS_ALLOW_CREDENTIALS": "true"}

    result = run_django("", env, tmp_path)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "CORS_ALLOW_CREDENTIALS" in result.stderr and "wildcard" in result.stderr


def test_a_wildcard_origin_without_credentials_starts_and_allows_any_origin(tmp_path):
    result = run_django(
        "from django.conf import settings as s; print(s.CORS_ALLOW_ALL_ORIGINS, s.CORS_ALLOWED_ORIGINS)",
        {**PRODUCTION_ENV, "CORS_ALLOWED_ORIGINS": "*"},
        tmp_path,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True []"


def test_production_refuses_credentials_for_a_plain_http_origin(tmp_path):
    env = {**PRODUCTION_ENV, "CORS_ALLOWED_ORIGINS": "http://app.example.com", "CORS_ALLOW_CREDENTIALS": "true"}

    result = run_django("", env, tmp_path)

    assert result.returncode != 0
    assert "Refusing to start" in result.stderr and "http://app.example.com" in result.stderr
