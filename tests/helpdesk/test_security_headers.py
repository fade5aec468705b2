"""Every response tells the browser to lock the page down: CSP without inline script, no framing, no sniffing."""

from __future__ import annotations

import re

import pytest
from django.db import OperationalError
from django.urls import reverse

from accounts.backends import RoleBackend
from tests.support.processes import PRODUCTION_ENV, run_django

PAGES = [
    ("account_login", None),
    ("ticket_list", "alice"),
    ("ticket_new", "alice"),
    ("staff_queue", "bob"),
    ("admin:index", "carol"),
    ("admin:tickets_ticket_changelist", "carol"),
    ("admin:tickets_ticket_add", "carol"),
    ("api-docs", None),
]


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def only_self_and_nonces(sources: list[str]) -> bool:
    """No 'unsafe-inline', 'unsafe-eval' or other hosts: our own files, plus the nonce of a page that uses one."""
    return sources[0] == "'self'" and all(source.startswith("'nonce-") for source in sources[1:])


@pytest.mark.parametrize(("url_name", "user_name"), PAGES)
def test_pages_forbid_inline_scripts_plugins_and_foreign_sources(request, client_for, url_name, user_name):
    user = request.getfixturevalue(user_name) if user_name else None
    response = client_for(user).get(reverse(url_name))

    assert response.status_code == 200
    csp = csp_directives(response["Content-Security-Policy"])

    assert csp["default-src"] == ["'self'"]
    assert only_self_and_nonces(csp["script-src"])
    assert only_self_and_nonces(csp["style-src"])
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]


def test_a_page_with_no_inline_block_gets_no_nonce(client_for, bob):
    csp = client_for(bob).get(reverse("staff_queue"))["Content-Security-Policy"]

    assert "nonce-" not in csp


def test_the_api_docs_inline_style_carries_the_nonce_of_its_policy(client):
    response = client.get(reverse("api-docs"))

    csp = csp_directives(response["Content-Security-Policy"])
    nonces = re.findall(r'<style nonce="([^"]+)">', response.content.decode())
    assert len(nonces) == 1
    assert f"'nonce-{nonces[0]}'" in csp["style-src"]


def test_every_response_gets_a_fresh_nonce(client):
    first = client.get(reverse("api-docs"))["Content-Security-Policy"]
    second = client.get(reverse("api-docs"))["Content-Security-Policy"]

    assert first != second


@pytest.mark.parametrize("path", ["/accounts/login/", "/api/v1/tickets/", "/healthz"])
@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("X-Content-Type-Options", "nosniff"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ],
)
def test_responses_forbid_framing_sniffing_and_leaking_referrers(client, db, path, header, value):
    assert client.get(path)[header] == value


@pytest.mark.parametrize("path", ["/accounts/tokens/", "/api/v1/tickets/"])
def test_the_database_unavailable_answer_is_locked_down_like_every_other(client_for, alice, monkeypatch, path):
    client = client_for(alice)

    def database_down(self: RoleBackend, user_id: object) -> None:
        raise OperationalError("the database is not answering")

    monkeypatch.setattr(RoleBackend, "get_user", database_down)
    response = client.get(path)

    assert response.status_code == 503
    assert csp_directives(response["Content-Security-Policy"])["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"


PRINT_HTTPS_POSTURE = """
from django.conf import settings
from django.test import Client
response = Client().get("/healthz", secure=True)
print(response.headers.get("Strict-Transport-Security"))
print(settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY)
"""


def test_production_sends_hsts_for_a_year_including_subdomains(tmp_path):
    result = run_django(PRINT_HTTPS_POSTURE, PRODUCTION_ENV, tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "max-age=31536000; includeSubDomains"


def test_hsts_duration_and_preload_come_from_the_environment(tmp_path):
    env = {**PRODUCTION_ENV, "SECURE_HSTS_SECONDS": "600", "SECURE_HSTS_PRELOAD": "true"}

    result = run_django(PRINT_HTTPS_POSTURE, env, tmp_path)

    assert result.stdout.splitlines()[0] == "max-age=600; includeSubDomains; preload"


def test_production_cookies_are_sent_over_https_only(tmp_path):
    result = run_django(PRINT_HTTPS_POSTURE, PRODUCTION_ENV, tmp_path)

    assert result.stdout.splitlines()[1] == "True True True"


def test_development_sends_no_hsts_so_a_local_http_server_keeps_working(tmp_path):
    result = run_django(PRINT_HTTPS_POSTURE, {"DEBUG": "true"}, tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["None", "False False True"]
