"""Redis killed mid-load (REDIS_URL set): the cache is not the source of truth, so the API keeps serving. Rate limits
and every other cache use fail open, the failure is logged at most once a minute per worker, and `/readyz` answers
200 with `cache: degraded` until Redis is back. Against real gunicorn and a redis-server of the test's own."""

from __future__ import annotations

import json
import threading
import time

import requests

from tests.support.servers import OwnRedis, app_environment, gunicorn, wait_until

WORKERS = 2
CALLS = (("get", "/api/v1/tickets/", None), ("post", "/api/v1/tickets/", {"subject": "Written while Redis is down"}))


class Load(threading.Thread):
    """A client reading and writing over and over, keeping (status, seconds) of every call."""

    def __init__(self, url: str, token: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"}
        self.calls: list[tuple[str, int, float]] = []
        self.running = True

    def run(self) -> None:
        while self.running:
            for method, path, body in CALLS:
                started = time.monotonic()
                response = requests.request(method, f"{self.url}{path}", json=body, headers=self.headers, timeout=60)
                self.calls.append((method, response.status_code, time.monotonic() - started))

    def stop(self) -> list[tuple[str, int, float]]:
        self.running = False
        self.join(timeout=60)
        return self.calls


def test_the_api_keeps_serving_while_redis_is_down(sqlite_database, tmp_path):
    redis = OwnRedis(tmp_path).start()
    env = app_environment(tmp_path, DATABASE_URL=sqlite_database.url, REDIS_URL=redis.url, RATE_LIMIT_READS="5000/m")
    try:
        with gunicorn(env, tmp_path, workers=WORKERS) as server:
            healthy = requests.get(f"{server.url}/readyz", timeout=30).json()
            load = Load(server.url, sqlite_database.token)
            load.start()
            wait_until(lambda: len(load.calls) >= 10, timeout=60, what="calls before the outage")
            redis.kill()
            killed_at = len(load.calls)
            wait_until(lambda: len(load.calls) >= killed_at + 40, timeout=120, what="calls during the outage")
            degraded = requests.get(f"{server.url}/readyz", timeout=30)
            redis.start()
            back = wait_until(
                lambda: requests.get(f"{server.url}/readyz", timeout=30).json()["status"] == "ok",
                timeout=30,
                what="readyz ok again",
            )
            calls = load.stop()
    finally:
        redis.kill()

    during = calls[killed_at:]
    reports = [line for line in server.log.read_text().splitlines() if _logger(line) == "helpdesk.cache"]
    print(
        f"\nredis outage: {len(during)} calls during it, statuses {sorted({status for _, status, _ in during})}, "
        f"slowest {max(seconds for *_, seconds in during):.2f} s; readyz ok {back:.1f} s after redis came back; "
        f"{len(reports)} log lines about it"
    )
    assert healthy == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}
    assert all(status < 500 for _, status, _ in calls), [call for call in calls if call[1] >= 500]
    assert (degraded.status_code, degraded.json()) == (
        200,
        {"status": "degraded", "checks": {"database": "ok", "cache": "degraded"}},
    )
    assert 1 <= len(reports) <= WORKERS, reports  # once a minute per worker: this test lasts well under one


def _logger(line: str) -> str:
    try:
        return json.loads(line).get("logger", "")
    except json.JSONDecodeError:
        return ""
