"""/metrics: Prometheus text for allowed addresses or a token, a 404 for everyone else."""

from __future__ import annotations

import pytest

from tickets.models import Status
from tickets.services import ticket_change_status


@pytest.fixture
def resolved_ticket(ticket, bob):
    return ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED)


def test_localhost_reads_request_and_ticket_metrics(client, ticket, resolved_ticket, alice):
    from tickets.services import ticket_create

    ticket_create(requester=alice, subject="another")
    client.get("/healthz")
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert 'helpdesk_tickets{status="new"} 1.0' in body
    assert 'helpdesk_tickets{status="resolved"} 1.0' in body
    assert 'helpdesk_tickets{status="closed"} 0.0' in body
    assert "django_http_requests_latency_seconds_by_view_method" in body


def test_other_addresses_get_404(client, db):
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404


def test_a_spoofed_forwarded_header_does_not_help(client, db):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert response.status_code == 404


def test_the_metrics_token_opens_it_from_anywhere(client, db, settings):
    settings.METRICS_TOKEN = "scrape-secret"
    ok = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer scrape-secret")
    wrong = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer guess")
    assert (ok.status_code, wrong.status_code) == (200, 404)


def test_an_empty_token_setting_never_matches(client, db, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer ").status_code == 404
