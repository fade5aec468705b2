"""Many workers writing one SQLite file: lock contention waits its turn (WAL, BEGIN IMMEDIATE, a busy timeout) or is
answered 409/503 with Retry-After, never a 500. The outside run's case: twenty parallel creates with one
Idempotency-Key, against gunicorn with several workers."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.support.servers import app_environment, gunicorn

PARALLEL = 20
ROUNDS = 3


def test_parallel_creates_with_one_key_make_one_ticket_and_no_server_error(sqlite_database, tmp_path):
    env = app_environment(tmp_path, DATABASE_URL=sqlite_database.url)
    answers: list[tuple[int, str | None]] = []
    with gunicorn(env, tmp_path, workers=4) as server:
        for round_ in range(ROUNDS):
            headers = {"Authorization": f"Bearer {sqlite_database.token}", "Idempotency-Key": f"round-{round_}"}

            def create(_: int, headers: dict[str, str] = headers) -> tuple[int, str | None]:
                response = requests.post(
                    f"{server.url}/api/v1/tickets/", json={"subject": "Printer on fire"}, headers=headers, timeout=60
                )
                return response.status_code, response.headers.get("Retry-After")

            with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
                answers += list(pool.map(create, range(PARALLEL)))

    statuses = {status for status, _ in answers}
    assert statuses <= {201, 409, 503}, answers
    assert all(retry_after for status, retry_after in answers if status in {409, 503}), answers
    with sqlite3.connect(sqlite_database.url.removeprefix("sqlite:///")) as db:
        assert db.execute("SELECT COUNT(*) FROM tickets_ticket").fetchone() == (ROUNDS,)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
