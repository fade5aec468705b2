"""Production (DEBUG=False) refuses to start on an insecure configuration, and says why."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "k" * 60
FERNET_KEY = "dGVzdHMtb25seS1mZXJuZXQta2V5LTMyLWJ5dGVzISE="


def start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "ENCRYPTION_KEYS"}
    }
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "helpdesk.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"ALLOWED_HOSTS": "help.example.com", "ENCRYPTION_KEYS": FERNET_KEY}, "SECRET_KEY"),
        ({"SECRET_KEY": "short", "ALLOWED_HOSTS": "help.example.com", "ENCRYPTION_KEYS": FERNET_KEY}, "SECRET_KEY"),
        ({"SECRET_KEY": GOOD_KEY, "ENCRYPTION_KEYS": FERNET_KEY}, "ALLOWED_HOSTS"),
        ({"SECRET_KEY": GOOD_KEY, "ALLOWED_HOSTS": "help.example.com"}, "ENCRYPTION_KEYS"),
        (
            {"SECRET_KEY": GOOD_KEY, "ALLOWED_HOSTS": "help.example.com", "ENCRYPTION_KEYS": "not-a-fernet-key"},
            "ENCRYPTION_KEYS",
        ),
    ],
)
def test_production_refuses_insecure_settings(env, complaint):
    result = start({"DEBUG": "false", **env})
    assert result.returncode != 0
    assert "Refusing to start" in result.stderr and complaint in result.stderr


def test_production_starts_with_a_real_key_and_hosts():
    result = start(
        {"DEBUG": "false", "SECRET_KEY": GOOD_KEY, "ALLOWED_HOSTS": "help.example.com", "ENCRYPTION_KEYS": FERNET_KEY}
    )
    assert result.returncode == 0, result.stderr


def test_database_url_selects_postgresql_with_pool():
    code = (
        "from django.conf import settings as s; d = s.DATABASES['default'];"
        "print(d['ENGINE'], d['NAME'], d['OPTIONS'].get('pool'), d['CONN_HEALTH_CHECKS'])"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(DJANGO_SETTINGS_MODULE="helpdesk.settings", DATABASE_URL="postgres://u@db:5432/hd", DATABASE_POOL="1")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "hd", "True", "True"]
