"""With `PROMETHEUS_MULTIPROC_DIR` (as compose sets it for its web containers), `/metrics` counts the requests of
every gunicorn worker, not only of the worker that happens to answer the scrape."""

from __future__ import annotations

import re

import requests

from tests.support.servers import app_environment, gunicorn

ME_REQUESTS = re.compile(
    r'^django_http_requests_total_by_view_transport_method_total\{[^}]*view="api-auth-me"[^}]*\} (\S+)$', re.MULTILINE
)
MAX_REQUESTS = 400


def test_metrics_add_up_every_worker(sqlite_database, tmp_path):
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    env = app_environment(tmp_path, DATABASE_URL=sqlite_database.url, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    headers = {"Authorization": f"Bearer {sqlite_database.token}"}
    with gunicorn(env, tmp_path, workers=2) as server:
        sent = 0
        while sent < MAX_REQUESTS and len({pid for pid, _ in server.served()}) < 2:
            with requests.Session() as one_connection:  # a new connection each time, so either worker may take it
                assert one_connection.get(f"{server.url}/api/v1/auth/me", headers=headers, timeout=10).ok
            sent += 1
        assert len({pid for pid, _ in server.served()}) == 2, "both workers must have served a request"

        scraped = [requests.get(f"{server.url}/metrics", timeout=10).text for _ in range(4)]

    for text in scraped:  # whichever worker answers the scrape
        assert sum(float(count) for count in ME_REQUESTS.findall(text)) == sent
