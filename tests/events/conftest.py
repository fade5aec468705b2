from __future__ import annotations

from collections.abc import Iterator

import pytest

from events import registry
from events.models import EventKind
from tests.events import handlers


@pytest.fixture
def test_handlers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Only the test handlers react to ticket.created, for the length of one test."""
    table = {kind: list(tasks) for kind, tasks in registry._handlers.items()}
    table[EventKind.TICKET_CREATED] = [handlers.record_event, handlers.fail_while_told]
    monkeypatch.setattr(registry, "_handlers", table)
    handlers.seen.clear()
    handlers.failures_left[0] = 0
    yield
