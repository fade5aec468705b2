"""Production answers plain HTTP with a redirect to HTTPS, except the probes, which stay reachable over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.processes import PRODUCTION_ENV, run_django

# Settings are read once, at start-up: one process per environment answers all of its paths.
PRINT_PLAIN_HTTP_ANSWERS = """
import json
from django.test import Client
answers = {{}}
for path in {paths!r}:
    response = Client().get(path)
    answers[path] = f"{{response.status_code}} {{response.headers.get('Location')}}"
print(json.dumps(answers))
"""
REDIRECTED = ["/accounts/login/", "/api/v1/tickets/", "/admin/"]
PROBES = ["/healthz", "/readyz"]
# In one test process, so the production answers are asked for once (`--dist loadgroup`).
pytestmark = pytest.mark.xdist_group("https-redirect")


def answers_over_plain_http(paths: list[str], env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    result = run_django(PRINT_PLAIN_HTTP_ANSWERS.format(paths=paths), env, tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return answers_over_plain_http(REDIRECTED + PROBES, PRODUCTION_ENV, tmp_path_factory.mktemp("production"))


@pytest.mark.parametrize("path", REDIRECTED)
def test_production_redirects_plain_http_to_https(production, path):
    assert production[path] == f"301 https://testserver{path}"


@pytest.mark.parametrize("path", PROBES)
def test_probes_are_answered_over_plain_http(production, path):
    status, _ = production[path].split()

    assert status in {"200", "503"}


def test_the_redirect_can_be_left_to_a_proxy(tmp_path):
    env = {**PRODUCTION_ENV, "SECURE_SSL_REDIRECT": "false"}

    assert answers_over_plain_http(["/api/v1/tickets/"], env, tmp_path)["/api/v1/tickets/"].startswith("401 ")


def test_development_serves_plain_http(tmp_path):
    answers = answers_over_plain_http(["/api/v1/tickets/"], {"DEBUG": "true"}, tmp_path)

    assert answers["/api/v1/tickets/"].startswith("401 ")
