"""The commands and paths the README, Makefile, Dockerfile and compose.yaml tell an operator to use exist."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from django.core.management import get_commands
from django.urls import Resolver404, resolve

ROOT = Path(__file__).resolve().parents[2]
FILES = ("README.md", "Makefile", "Dockerfile", "compose.yaml", "Procfile.dev", ".ci/run")
TEXT = "\n".join((ROOT / name).read_text() for name in FILES)


def test_every_management_command_named_exists():
    named = set(re.findall(r"manage\.py\"?,? \"?([a-z_]+)", TEXT))
    assert {"migrate", "purge_idempotency_keys", "search_backfill"} <= named, "the scan no longer finds commands"

    assert named - set(get_commands()) == set()


def test_every_celery_app_named_is_the_helpdesk_app():
    named = set(re.findall(r"celery\"?,? \"?-A\"?,? \"?([\w.]+)", TEXT))
    assert named == {"helpdesk"}

    # `celery -A helpdesk` finds `helpdesk.celery_app`... or `helpdesk.celery.app`, which must be the same app.
    assert importlib.import_module("helpdesk").celery_app is importlib.import_module("helpdesk.celery").app


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/readyz/worker", "/metrics", "/api/docs/", "/api/v1/schema/"])
def test_the_documented_operator_paths_resolve(path):
    assert f"`{path}`" in TEXT

    try:
        resolve(path)
    except Resolver404:
        pytest.fail(f"{path} is documented but no URL serves it")


def test_the_image_healthcheck_probes_a_path_that_exists():
    probed = re.findall(r"/(healthz|readyz)\b", (ROOT / "Dockerfile").read_text())
    assert probed
    for path in probed:
        resolve(f"/{path}")


def test_every_make_target_the_readme_names_exists():
    readme = (ROOT / "README.md").read_text()
    named = set(re.findall(r"`(?:[A-Z_]+=\S+ )*make ([a-z][a-z-]*)", readme))
    targets = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    assert {"run", "test", "lint"} <= named

    assert named - targets == set()
