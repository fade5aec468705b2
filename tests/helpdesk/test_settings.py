"""Production (DEBUG=False) refuses to start on an insecure configuration, and says why."""

from __future__ import annotations

import pytest

from tests.support.processes import PRODUCTION_ENCRYPTION_KEY as FERNET_KEY
from tests.support.processes import run_django

GOOD_KEY = "k" * 60


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
def test_production_refuses_insecure_settings(env, complaint, tmp_path):
    result = run_django("", {"DEBUG": "false", **env}, tmp_path)
    assert result.returncode != 0
    assert "Refusing to start" in result.stderr and complaint in result.stderr


def test_production_starts_with_a_real_key_and_hosts(tmp_path):
    env = {"DEBUG": "false", "SECRET_KEY": GOOD_KEY, "ALLOWED_HOSTS": "help.example.com", "ENCRYPTION_KEYS": FERNET_KEY}
    result = run_django("", env, tmp_path)
    assert result.returncode == 0, result.stderr


def test_database_url_selects_postgresql_with_pool(tmp_path):
    code = (
        "from django.conf import settings as s; d = s.DATABASES['default'];"
        "print(d['ENGINE'], d['NAME'], d['OPTIONS']['pool']['timeout'], d['OPTIONS']['connect_timeout'],"
        " d['CONN_HEALTH_CHECKS'])"
    )
    result = run_django(code, {"DATABASE_URL": "postgres://u@db:5432/hd", "DATABASE_POOL": "1"}, tmp_path)
    # Neither opening a connection nor waiting for a pooled one may hang a request (helpdesk/availability.py).
    assert result.stdout.split() == ["django.db.backends.postgresql", "hd", "3", "3", "True"]


def test_sqlite_is_set_up_for_several_workers(tmp_path):
    code = "from django.conf import settings as s; o = s.DATABASES['default']['OPTIONS']; print(sorted(o.items()))"
    result = run_django(code, {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}, tmp_path)
    assert result.stdout.strip() == str(
        [
            ("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL"),
            ("timeout", 10),
            ("transaction_mode", "IMMEDIATE"),
        ]
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"MFA_REQUIRED_FOR_STAFF": "ture"}, "MFA_REQUIRED_FOR_STAFF='ture' is not a yes/no value"),
        ({"ACCOUNT_SIGNUP_OPEN": "maybe"}, "ACCOUNT_SIGNUP_OPEN='maybe' is not a yes/no value"),
        ({"ATTACHMENT_MAX_FILES": "ten"}, "ATTACHMENT_MAX_FILES='ten' is not a whole number"),
    ],
)
def test_a_mistyped_setting_stops_the_start_and_names_the_variable(env, named, tmp_path):
    result = run_django("", env, tmp_path)
    assert result.returncode != 0
    assert named in result.stderr


def test_yes_no_words_are_read_both_ways(tmp_path):
    code = "from django.conf import settings as s; print(s.MFA_REQUIRED_FOR_STAFF, s.ACCOUNT_SIGNUP_OPEN)"
    result = run_django(code, {"MFA_REQUIRED_FOR_STAFF": " Yes ", "ACCOUNT_SIGNUP_OPEN": "off"}, tmp_path)
    assert result.stdout.split() == ["True", "False"], result.stderr


@pytest.mark.parametrize(
    "env",
    [
        {"DEFAULT_FROM_EMAIL": "Example Helpdesk <help@example.com>"},
        {"REPLY_ADDRESS": '"Example Helpdesk" <help@example.com>'},
    ],
)
def test_replies_go_to_the_address_of_a_sender_written_with_a_display_name(env, tmp_path):
    code = "from django.conf import settings as s; print(s.REPLY_ADDRESS)"
    result = run_django(code, env, tmp_path)
    assert result.stdout.strip() == "help@example.com", result.stderr


def test_a_reply_address_that_is_no_address_refuses_to_start(tmp_path):
    result = run_django("", {"REPLY_ADDRESS": "Example Helpdesk"}, tmp_path)
    assert result.returncode != 0
    assert "REPLY_ADDRESS" in result.stderr


def test_the_mail_domain_is_read_in_lower_case(tmp_path):
    # Bounces and replies are matched to our Message-IDs lower-cased: an upper-case domain in them never matched.
    code = "from django.conf import settings as s; print(s.MAIL_DOMAIN)"
    result = run_django(code, {"MAIL_DOMAIN": "Mail.Example.COM"}, tmp_path)
    assert result.stdout.strip() == "mail.example.com", result.stderr


def test_an_orphan_grace_shorter_than_a_task_may_run_refuses_to_start(tmp_path):
    # Shorter, and the sweep could delete the file of an attachment whose row a running task is about to commit.
    result = run_django("", {"ATTACHMENT_ORPHAN_GRACE_SECONDS": "300", "CELERY_TASK_TIME_LIMIT": "300"}, tmp_path)
    assert result.returncode != 0
    assert "ATTACHMENT_ORPHAN_GRACE_SECONDS=300 must be longer than a task may run" in result.stderr
    assert run_django("", {"ATTACHMENT_ORPHAN_GRACE_SECONDS": "301"}, tmp_path).returncode == 0
