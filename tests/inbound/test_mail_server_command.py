"""`manage.py run_mail_server`: a real SMTP and LMTP client talking to the listener in its own process."""

from __future__ import annotations

import os
import re
import smtplib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.inbound.messages import mail
from tests.inbound.subprocess_db import copy_database, process_env, stored_rows
from tests.support.databases import migrated_sqlite_template
from tests.support.processes import ROOT


@pytest.fixture(scope="module")
def template(request: pytest.FixtureRequest) -> Path:
    return migrated_sqlite_template(request.config)


def _start(tmp_path: Path, *args: str, **env: str) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "run_mail_server", "--port", "0", *args],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
            "VAR_DIR": str(tmp_path),
            **process_env(tmp_path),
            **env,
        },
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    line = process.stdout.readline()
    match = re.search(r"Listening for (SMTP|LMTP) on 127\.0\.0\.1:(\d+)", line)
    assert match, line + process.stdout.read() if process.poll() is not None else line
    return process, int(match.group(2))


@pytest.fixture
def listener(template: Path, tmp_path: Path) -> Iterator[object]:
    started: list[subprocess.Popen[str]] = []

    def start(*args: str, **env: str) -> tuple[Path, int]:
        database = copy_database(template, tmp_path)
        process, port = _start(tmp_path, *args, **env)
        started.append(process)
        return database, port

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


def test_smtp_mail_is_stored_before_the_250(listener):
    database, port = listener()
    raw = mail(sender="dana@example.org", subject="By SMTP")

    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        refused = client.sendmail("dana@example.org", ["support@example.com"], raw)

    assert refused == {}
    assert stored_rows(database) == [
        ("smtp", "received", "dana@example.org", "By SMTP", "support@example.com", len(raw))
    ]


def test_lmtp_answers_once_per_recipient_and_stores_the_message_once(listener):
    database, port = listener("--lmtp")
    raw = mail(sender="dana@example.org", subject="By LMTP")

    # smtplib's sendmail reads one answer to DATA; LMTP sends one per recipient (RFC 2033), read here one by one.
    client = smtplib.LMTP("127.0.0.1", port, timeout=10)
    client.ehlo()  # LHLO
    client.mail("dana@example.org")
    client.rcpt("support@example.com")
    client.rcpt("help@example.com")
    answers = [client.data(raw)[0], client.getreply()[0]]
    client.quit()

    assert answers == [250, 250]
    assert [row[:4] for row in stored_rows(database)] == [("smtp", "received", "dana@example.org", "By LMTP")]


def test_mail_for_other_domains_is_refused(listener):
    database, port = listener()

    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client, pytest.raises(smtplib.SMTPRecipientsRefused):
        client.sendmail("dana@example.org", ["someone@elsewhere.example"], mail(sender="dana@example.org"))

    assert stored_rows(database) == []


def test_mail_past_twice_the_size_limit_is_refused_with_552(listener):
    database, port = listener(INBOUND_MAX_BYTES="1000")

    too_large = (smtplib.SMTPSenderRefused, smtplib.SMTPDataError)  # at MAIL FROM SIZE=..., or after DATA
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client, pytest.raises(too_large) as refused:
        client.sendmail("dana@example.org", ["support@example.com"], mail(sender="d@example.org", body="x" * 5000))

    assert refused.value.smtp_code == 552
    assert stored_rows(database) == []


def test_the_mail_listener_accepts_our_domain_when_the_sender_setting_has_a_display_name(db, settings):
    from inbound.selectors import our_domains

    settings.DEFAULT_FROM_EMAIL = settings.REPLY_ADDRESS = "Example Helpdesk <helpdesk@example.com>"
    settings.MAIL_DOMAIN = "help.example.org"

    assert "example.com" in our_domains()
