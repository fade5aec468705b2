"""Shared pieces of the inbound tests: settings, and `ingest`, which stores a message and lets the worker (run in
process, as in every unit test) process it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from inbound.models import InboundMessage, Source
from inbound.services import inbound_store
from tests.inbound.messages import SUPPORT
from tests.support.dovecot import Dovecot, dovecot_available, start_dovecot

Ingest = Callable[..., InboundMessage]


@pytest.fixture(autouse=True)
def _inbound_settings(settings: object) -> None:
    settings.REPLY_ADDRESS = SUPPORT
    settings.DEFAULT_FROM_EMAIL = "helpdesk@example.com"
    settings.MAIL_DOMAIN = "example.com"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def ingest(db: None, django_capture_on_commit_callbacks: Callable) -> Ingest:
    """Store raw bytes as one door would, run the after-commit work (the worker's processing), return the row."""

    def run(raw: bytes, *, source: str = Source.PIPE, source_id: str = "", **kwargs: object) -> InboundMessage:
        with django_capture_on_commit_callbacks(execute=True):
            stored = inbound_store(raw=raw, source=source, source_id=source_id, **kwargs)
        return InboundMessage.objects.get(pk=stored.message.pk)

    return run


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    if not dovecot_available():
        import os

        if os.environ.get("REQUIRE_DOVECOT"):
            pytest.fail("Dovecot is required (REQUIRE_DOVECOT=1) but not installed")
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd dovecot-pop3d)")
    server = start_dovecot()
    yield server
    server.stop()
