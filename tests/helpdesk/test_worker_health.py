"""/readyz/worker answers for the background worker (beat's heartbeat, events handed over in time), and /metrics
shows queue depth, task failures, event lag and mails not yet delivered."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import Event, EventKind, HandlerRun, RunState
from events.services import worker_heartbeat_record
from events.tasks import worker_heartbeat


@pytest.mark.django_db
def test_no_heartbeat_yet_means_the_worker_is_not_ready(client):
    response = client.get("/readyz/worker")

    assert response.status_code == 503
    assert response.json()["checks"] == {"heartbeat": "stale", "events": "ok"}


@pytest.mark.django_db
def test_a_heartbeat_run_by_a_worker_makes_it_ready(client):
    worker_heartbeat.delay()  # what beat sends; run in-process here

    response = client.get("/readyz/worker")

    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["heartbeat_age_seconds"] < 60


@pytest.mark.django_db
def test_a_stale_heartbeat_or_a_lagging_event_is_reported(client, settings):
    worker_heartbeat_record(now=timezone.now() - timedelta(seconds=settings.WORKER_HEARTBEAT_STALE_SECONDS + 5))
    Event.objects.create(kind=EventKind.TICKET_CREATED, created_at=timezone.now() - timedelta(hours=1))

    body = client.get("/readyz/worker").json()

    assert body["checks"] == {"heartbeat": "stale", "events": "lagging"}
    assert body["event_lag_seconds"] >= 3600


@pytest.mark.django_db
def test_the_web_readiness_does_not_depend_on_the_worker(client):
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_metrics_show_event_lag_failures_and_mails(client, ticket):
    worker_heartbeat_record()
    event = Event.objects.create(kind=EventKind.TICKET_CREATED, created_at=timezone.now() - timedelta(seconds=90))
    HandlerRun.objects.create(event=event, handler="some.handler", state=RunState.FAILED)

    body = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()

    assert 'helpdesk_handler_runs{state="failed"} 1.0' in body
    lag = next(line for line in body.splitlines() if line.startswith("helpdesk_event_lag_seconds "))
    assert float(lag.split()[1]) >= 90
    assert 'helpdesk_notifications{status="queued"}' in body
    assert 'helpdesk_notifications{status="failed"} 0.0' in body
    assert "helpdesk_worker_heartbeat_age_seconds" in body
