"""Run work in parallel threads, each with its own database connection, all released at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import pytest
from django.db import connection

T = TypeVar("T")


def parallel_on_postgresql(needs: str) -> list[pytest.MarkDecorator]:
    """`pytestmark` for tests whose threads each need their own connection seeing committed rows.

    SQLite's in-memory test database is one connection, so these run only when DATABASE_URL names PostgreSQL.
    """
    return [
        pytest.mark.django_db(transaction=True),
        pytest.mark.skipif(
            connection.vendor != "postgresql",
            reason=f"needs {needs}: set DATABASE_URL to a PostgreSQL database",
        ),
    ]


def someone_waits_for_a_lock() -> bool:
    """Whether any connection to the test database is waiting for a row lock (PostgreSQL only)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # else a transaction reads the view as it first saw it
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def run_together(work: list[Callable[[], T]]) -> list[T]:
    barrier = threading.Barrier(len(work))
    results: list[T | None] = [None] * len(work)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = work[index]()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()  # each thread opened its own connection; do not leave it to the server

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a worker hung: a lock was never released"
    assert not errors, errors
    return results  # type: ignore[return-value]
