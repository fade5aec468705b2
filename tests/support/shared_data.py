"""Rows built once for all of a module's tests, the way Django's `TestCase.setUpTestData` does it.

The module's fixture builds them in a transaction that is rolled back when the module's tests are done, and each
test runs in a savepoint of its own inside it (pytest-django's `db`), so what a test writes is undone after it and
the next test sees the rows as built. For fixtures whose building costs more than the tests that read them.

pytest tears a module's fixtures down before it runs another module's test, so under xdist a process that
alternates between modules builds the rows again rather than letting them leak into other modules' tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.test import override_settings

from tests.conftest import FAST_PASSWORD_HASHERS


@contextmanager
def rows_for_the_module(django_db_blocker: Any) -> Iterator[None]:
    """Build the rows inside this block and yield them from it: they live until the block ends, then vanish.
    Users are made with the tests' fast password hasher, as in a test."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS), transaction.atomic():
        yield
        transaction.set_rollback(True)
