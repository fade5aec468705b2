"""Production answers plain HTTP with a redirect to HTTPS, except the probes, which stay reachable over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.processes import PRODUCTION_ENV, run_django

PRINT_PLAIN_HTTP_ANSWER = """
from django.test import Client
response = Client().get({path!r})
print(response.status_code, response.headers.get("Location"))
"""


def answer_over_plain_http(path: str, env: dict[str, str], tmp_path: Path) -> str:
    result = run_django(PRINT_PLAIN_HTTP_ANSWER.format(path=path), env, tmp_path)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize("path", ["/accounts/login/", "/api/v1/tickets/", "/admin/"])
def test_production_redirects_plain_http_to_https(tmp_path, path):
    assert answer_over_plain_http(path, PRODUCTION_ENV, tmp_path) == f"301 https://testserver{path}"


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_are_answered_over_plain_http(tmp_path, path):
    status, _ = answer_over_plain_http(path, PRODUCTION_ENV, tmp_path).split()

    assert status in {"200", "503"}


def test_the_redirect_can_be_left_to_a_proxy(tmp_path):
    env = {**PRODUCTION_ENV, "SECURE_SSL_REDIRECT": "false"}

    assert answer_over_plain_http("/api/v1/tickets/", env, tmp_path).startswith("401 ")


def test_development_serves_plain_http(tmp_path):
    assert answer_over_plain_http("/api/v1/tickets/", {"DEBUG": "true"}, tmp_path).startswith("401 ")
