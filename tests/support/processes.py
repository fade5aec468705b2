"""Start Django in a fresh process with a given environment: settings are read once, at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Long, varied and not "django-insecure-": what `check --deploy` accepts as a real key. For tests only.
PRODUCTION_SECRET_KEY = "tests-only-7Hq2xVb9LmZ4pK8sWd3nRf6tYc1gJe5uAo0iPz7Bv4Nk2Mx9Qw6Er3"
PRODUCTION_ENCRYPTION_KEY = "dGVzdHMtb25seS1mZXJuZXQta2V5LTMyLWJ5dGVzISE="
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": PRODUCTION_SECRET_KEY,
    "ALLOWED_HOSTS": "help.example.com,testserver",
    "ENCRYPTION_KEYS": PRODUCTION_ENCRYPTION_KEY,
}

# Knobs of the developer's own shell that would change what a test starts.
_INHERITED_KNOBS = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "ENCRYPTION_KEYS",
    "CORS_",
    "SECURE_",
    "CSRF_",
    "BEHIND_TLS_PROXY",
)


def run_django(code: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run `code` after django.setup() with `env` on top of a clean environment; VAR_DIR is `tmp_path`."""
    return _run(["-c", f"import django; django.setup()\n{code}"], env, tmp_path)


def run_manage(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return _run([str(ROOT / "manage.py"), *args], env, tmp_path)


def _run(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {name: value for name, value in os.environ.items() if not name.startswith(_INHERITED_KNOBS)}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "helpdesk.settings", "VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
