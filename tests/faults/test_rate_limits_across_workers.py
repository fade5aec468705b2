"""Without Redis, the rate limits hold across gunicorn workers: the default cache keeps its counters in the database
(helpdesk/cache.py), not in each process's memory, so `make run`'s two workers no longer double every quota."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from tests.support.servers import app_environment, gunicorn

LIMIT = 5
ROUND = 24  # requests sent 8 at a time
MAX_ROUNDS = 20


def test_two_workers_share_one_quota(sqlite_database, tmp_path):
    env = app_environment(tmp_path, DATABASE_URL=sqlite_database.url, RATE_LIMIT_READS=f"{LIMIT}/d")
    headers = {"Authorization": f"Bearer {sqlite_database.token}"}
    with gunicorn(env, tmp_path, workers=2) as server:
        first = requests.get(f"{server.url}/api/v1/auth/me", headers=headers, timeout=10)
        # A one-day window, so it cannot start over while the test runs (the header says how long it has left).
        assert first.status_code == 200 and int(first.headers["RateLimit-Reset"]) > 60

        def read(_: int) -> int:
            return requests.get(f"{server.url}/api/v1/auth/me", headers=headers, timeout=10).status_code

        # On a busy machine one worker can take every connection of a round: send rounds until both have served.
        # Past the quota each further request is a 429 from whichever worker takes it, so the counts hold as well.
        statuses: list[int] = []
        with ThreadPoolExecutor(max_workers=8) as pool:
            for _ in range(MAX_ROUNDS):
                statuses += pool.map(read, range(ROUND))
                served_by = {pid for pid, _ in server.served()}
                if len(served_by) == 2:
                    break

    assert len(served_by) == 2, "both workers must have served requests for this test to mean anything"
    assert [first.status_code, *statuses].count(200) == LIMIT
    assert set(statuses) == {200, 429}
