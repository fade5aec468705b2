from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.inbound.conftest import ingest  # noqa: F401  (the fixture, for bounces read from real mail)


@pytest.fixture
def worker(django_capture_on_commit_callbacks: Callable) -> Callable[..., Any]:
    """Run `action` as a committed request would be, then the worker's part (handlers, then the mails they queue)."""

    def run(action: Callable[[], Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run
