"""A claim on an `Idempotency-Key` is a lease: a request that died mid-create (its worker was killed) leaves a claim
that lapses after IDEMPOTENCY_LEASE_SECONDS, and the next retry runs the create once. Time is given to the records
(their claim time), never waited for. With a real SIGKILLed gunicorn worker: tests/faults/test_killed_worker.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from helpdesk import idempotency
from helpdesk.idempotency import IN_PROGRESS_RETRY_MAX_SECONDS
from helpdesk.models import IdempotencyRecord, IdempotencyState
from tests.support.api import assert_error_body
from tickets.models import Attachment, Ticket

URL = "/api/v1/tickets/"
BODY = {"subject": "Printer on fire"}


@pytest.fixture
def client(api_client_for, alice):
    return api_client_for(alice)


def claim_left_behind(client, *, seconds_ago: float) -> IdempotencyRecord:
    """What a killed worker leaves: the key claimed (in flight) `seconds_ago`, and no ticket."""
    client.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    Ticket.objects.all().delete()
    claimed_at = timezone.now() - timedelta(seconds=seconds_ago)
    IdempotencyRecord.objects.update(
        state=IdempotencyState.IN_FLIGHT, response_status=None, response_body="", created_at=claimed_at
    )
    return IdempotencyRecord.objects.get()


def test_a_retry_within_the_lease_is_told_when_to_come_back(client, settings):
    settings.IDEMPOTENCY_LEASE_SECONDS = 60
    claim_left_behind(client, seconds_ago=1)

    response = client.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="key-1")

    assert_error_body(response, 409, "idempotency_key_in_progress")
    assert 1 <= int(response["Retry-After"]) <= IN_PROGRESS_RETRY_MAX_SECONDS
    assert not Ticket.objects.exists()


def test_the_retry_after_the_lease_lapsed_runs_the_create_once(client, settings):
    settings.IDEMPOTENCY_LEASE_SECONDS = 60
    claim_left_behind(client, seconds_ago=61)

    first = client.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    again = client.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="key-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert Ticket.objects.count() == 1


def test_a_completed_response_is_replayed_long_after_the_lease(client, settings):
    settings.IDEMPOTENCY_LEASE_SECONDS = 60
    first = client.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=1))

    again = client.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="key-1")

    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]


@pytest.fixture
def lease_lost_while_running(monkeypatch) -> None:
    """While each request runs, its lease lapses and a retry takes the key over (a claim of its own)."""
    claim = idempotency._claim

    def claim_then_lose_it(**kwargs):
        record, claimed = claim(**kwargs)
        IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() + timedelta(seconds=1))
        return record, claimed

    monkeypatch.setattr(idempotency, "_claim", claim_then_lose_it)


@pytest.mark.usefixtures("lease_lost_while_running")
def test_a_request_that_outlives_its_lease_rolls_its_create_back(client):
    response = client.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="key-1")

    assert_error_body(response, 409, "idempotency_key_in_progress")
    assert not Ticket.objects.exists()
    assert IdempotencyRecord.objects.get().state == IdempotencyState.IN_FLIGHT  # the retry's claim is left alone


@pytest.mark.usefixtures("lease_lost_while_running")
def test_a_request_that_outlives_its_lease_leaves_no_file_in_storage(client, ticket, stored_files):
    before = stored_files()
    upload = SimpleUploadedFile("log.txt", b"stack trace", content_type="text/plain")

    response = client.post(
        f"/api/v1/tickets/{ticket.pk}/comments/",
        {"body": "Logs", "files": [upload]},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="key-1",
    )

    assert_error_body(response, 409, "idempotency_key_in_progress")
    assert not Attachment.objects.exists()
    assert stored_files() == before
