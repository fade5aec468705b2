"""The image's HEALTHCHECK is answered 200 under the README's `docker run` settings (a real ALLOWED_HOSTS)."""

from __future__ import annotations

import re
import shlex

from tests.support.processes import PRODUCTION_ENV, ROOT, run_django


def healthcheck_code() -> str:
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    command = re.search(r"^HEALTHCHECK .*?\bCMD (.*)$", dockerfile, re.MULTILINE).group(1)
    python, flag, code = shlex.split(command)
    assert (python, flag) == ("python", "-c")
    return code


# The probe's urlopen, answered by Django in the same process: what gunicorn would answer on the container's port.
PROBE = """
import urllib.parse, urllib.request
from django.test import Client

def urlopen(request, timeout):
    url = request.full_url if isinstance(request, urllib.request.Request) else request
    host = request.get_header("Host") if isinstance(request, urllib.request.Request) else None
    parts = urllib.parse.urlsplit(url)
    response = Client().get(parts.path, HTTP_HOST=host or parts.netloc)
    print("probe", parts.path, response.status_code)
    if response.status_code != 200:
        raise SystemExit(1)

urllib.request.urlopen = urlopen
exec({code!r})
"""


def test_the_image_healthcheck_passes_with_the_readme_allowed_hosts(tmp_path):
    env = {**PRODUCTION_ENV, "ALLOWED_HOSTS": "help.example.com", "PORT": "8000"}

    result = run_django(PROBE.format(code=healthcheck_code()), env, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "probe /healthz 200" in result.stdout


def test_the_image_healthcheck_passes_with_a_wildcard_subdomain(tmp_path):
    env = {**PRODUCTION_ENV, "ALLOWED_HOSTS": ".example.com", "PORT": "8000"}

    result = run_django(PROBE.format(code=healthcheck_code()), env, tmp_path)

    assert "probe /healthz 200" in result.stdout, result.stdout + result.stderr
