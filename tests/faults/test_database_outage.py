"""PostgreSQL down or restarting: `/readyz` answers 503 naming the database within seconds (it does not hang), API
calls answer 503 `service_unavailable` with Retry-After (not 500), and once PostgreSQL is back (`pg_ctl restart -m
fast` or `-m immediate`) the app serves again within seconds, without a restart of its own: with and without
DATABASE_POOL. Against real gunicorn and a PostgreSQL cluster of the test's own."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from tests.support.servers import app_environment, gunicorn, wait_until

# Bounds that say "does not hang" (the outside run saw 16 s, and with the pool /readyz never said 503); the times
# themselves are printed for the record.
ANSWER_WITHIN_SECONDS = 10
RECOVER_WITHIN_SECONDS = 30

pytestmark = pytest.mark.xdist_group("own_postgres")


class Client:
    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"}

    def timed(self, path: str, **kwargs: object) -> tuple[requests.Response, float]:
        started = time.monotonic()
        response = requests.get(f"{self.url}{path}", headers=self.headers, timeout=60, **kwargs)
        return response, time.monotonic() - started

    def serves(self) -> bool:
        return self.timed("/api/v1/tickets/")[0].status_code == 200


class Load(threading.Thread):
    """A client calling the API over and over, keeping every status it saw."""

    def __init__(self, client: Client) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.statuses: list[int] = []
        self.running = True

    def run(self) -> None:
        while self.running:
            response, _ = self.client.timed("/api/v1/tickets/")
            self.statuses.append(response.status_code)
            if response.status_code == 503:
                assert response.headers["Retry-After"]
                assert response.json()["error"]["code"] == "service_unavailable"

    def stop(self) -> list[int]:
        self.running = False
        self.join(timeout=60)
        return self.statuses


@pytest.mark.parametrize("pool", [False, True], ids=["no-pool", "pool"])
def test_a_database_outage_is_a_quick_503_and_restarts_recover(postgres_database, tmp_path, pool):
    cluster, database = postgres_database
    env = app_environment(tmp_path, DATABASE_URL=database.url, DATABASE_POOL=str(pool).lower())
    record: dict[str, object] = {}
    with gunicorn(env, tmp_path, workers=2) as server:
        client = Client(server.url, database.token)
        assert client.serves()

        cluster.stop("immediate")
        try:
            ready, record["readyz 503 after (s)"] = client.timed("/readyz")
            api, record["API 503 after (s)"] = client.timed("/api/v1/tickets/")
        finally:
            cluster.start()
        record["serving again after start (s)"] = wait_until(
            client.serves, timeout=RECOVER_WITHIN_SECONDS, what="serve after start"
        )

        for mode in ("fast", "immediate"):
            load = Load(client)
            load.start()
            started = time.monotonic()
            cluster.restart(mode)
            wait_until(client.serves, timeout=RECOVER_WITHIN_SECONDS, what=f"serve after restart -m {mode}")
            record[f"restart -m {mode}: serving again after (s)"] = time.monotonic() - started
            record[f"restart -m {mode}: statuses seen"] = sorted(set(load.stop()))

    print(f"\ndatabase outage ({'pool' if pool else 'no pool'}): {_rounded(record)}")
    assert (ready.status_code, ready.json()["checks"]["database"]) == (503, "unavailable")
    assert record["readyz 503 after (s)"] < ANSWER_WITHIN_SECONDS
    assert (api.status_code, api.json()["error"]["code"]) == (503, "service_unavailable")
    assert int(api.headers["Retry-After"]) > 0
    assert record["API 503 after (s)"] < ANSWER_WITHIN_SECONDS
    for mode in ("fast", "immediate"):
        assert set(record[f"restart -m {mode}: statuses seen"]) <= {200, 503}


def _rounded(record: dict[str, object]) -> dict[str, object]:
    return {key: round(value, 2) if isinstance(value, float) else value for key, value in record.items()}
