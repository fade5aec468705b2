"""A gunicorn worker SIGKILLed in the middle of a create leaves its Idempotency-Key claimed (in flight). Retries are
told to come back (409 with Retry-After) until the claim's lease lapses, then one of them runs the create: the client
can always finish, and the comment is made exactly once. Against real gunicorn and a PostgreSQL of the test's own.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time

import psycopg
import pytest
import requests

from tests.support.servers import app_environment, gunicorn, wait_until

LEASE_SECONDS = 8

pytestmark = pytest.mark.xdist_group("own_postgres")


def test_a_retry_completes_the_create_a_killed_worker_left_claimed(postgres_database, tmp_path):
    _, database = postgres_database
    env = app_environment(tmp_path, DATABASE_URL=database.url, IDEMPOTENCY_LEASE_SECONDS=str(LEASE_SECONDS))
    auth = {"Authorization": f"Bearer {database.token}"}
    with gunicorn(env, tmp_path, workers=1) as server, psycopg.connect(database.url, autocommit=True) as db:
        ticket = requests.post(f"{server.url}/api/v1/tickets/", json={"subject": "Killed"}, headers=auth, timeout=30)
        comments = f"{server.url}/api/v1/tickets/{ticket.json()['id']}/comments/"
        headers = {**auth, "Idempotency-Key": f"kill-{tmp_path.name}"}

        # Hold the ticket's row lock, so the create stops half-way: its key claimed, its comment not yet written.
        with db.transaction():
            db.execute("SELECT id FROM tickets_ticket WHERE id = %s FOR UPDATE", [ticket.json()["id"]])
            hanging = threading.Thread(target=_post_ignoring_errors, args=(comments, headers), daemon=True)
            hanging.start()
            wait_until(lambda: _claims_in_flight(db, headers["Idempotency-Key"]) == 1, timeout=30, what="the claim")
            [worker] = server.worker_pids()
            os.kill(worker, signal.SIGKILL)
            killed_at = time.monotonic()
        hanging.join(timeout=30)

        answers = _retry_until_created(comments, headers)
        recovered_after = time.monotonic() - killed_at
        count = db.execute("SELECT COUNT(*) FROM tickets_comment WHERE body = 'Hello'").fetchone()[0]

    statuses = [status for status, _ in answers]
    print(
        f"\nkilled worker: retries answered {statuses}; the comment was created {recovered_after:.1f} s after the kill"
    )
    assert answers[-1][0] == 201
    assert all(status == 409 and retry_after for status, retry_after in answers[:-1]), answers
    assert count == 1


def _post_ignoring_errors(url: str, headers: dict[str, str]) -> None:
    with contextlib.suppress(requests.RequestException):  # the worker serving it is killed: the connection drops
        requests.post(url, json={"body": "Hello"}, headers=headers, timeout=60)


def _claims_in_flight(db: psycopg.Connection, key: str) -> int:
    query = "SELECT COUNT(*) FROM helpdesk_idempotencyrecord WHERE key = %s AND state = 'in_flight'"
    return db.execute(query, [key]).fetchone()[0]


def _retry_until_created(url: str, headers: dict[str, str], attempts: int = 30) -> list[tuple[int, str | None]]:
    """What a client following the documented contract does: retry the same request, waiting Retry-After."""
    answers = []
    for _ in range(attempts):
        response = requests.post(url, json={"body": "Hello"}, headers=headers, timeout=30)
        answers.append((response.status_code, response.headers.get("Retry-After")))
        if response.status_code != 409:
            return answers
        time.sleep(min(int(response.headers.get("Retry-After", "1")), LEASE_SECONDS))
    return answers
