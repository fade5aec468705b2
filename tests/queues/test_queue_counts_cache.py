"""The queue's counts are kept a short while in the cache (queues/counts.py): a reload reads them from there, any
ticket change outdates them, and a cache that is down only means counting again."""

from __future__ import annotations

import re
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from queues import counts
from sla.services import sla_open_tickets_refresh, sla_sweep
from tests.support.html import shown_text
from tickets.models import Status
from tickets.services import ticket_change_status, ticket_create

REDIS_DOWN = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
    }
}


def queue(client) -> tuple[str, int]:
    """The page's text, and how many capped-count queries it ran."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("staff_queue"))
    assert response.status_code == 200
    return shown_text(response.content.decode()), sum("capped_0" in query["sql"] for query in captured)


def open_count(text: str) -> int:
    return int(re.search(r"All open\s+(\d+)\b", text).group(1))


def test_a_reload_reads_the_counts_from_the_cache(bob, desk, client_for):
    client = client_for(bob)
    with CaptureQueriesContext(connection) as first:
        client.get(reverse("staff_queue"))
    with CaptureQueriesContext(connection) as second:
        text = shown_text(client.get(reverse("staff_queue")).content.decode())

    assert len(second) == len(first) - 1  # the one query of every count
    assert not any("capped_0" in query["sql"] for query in second)
    assert open_count(text) == 4
    assert "4 tickets" in text


def test_a_ticket_change_shows_in_the_next_page(bob, alice, desk, client_for, django_capture_on_commit_callbacks):
    client = client_for(bob)
    assert open_count(queue(client)[0]) == 4

    with django_capture_on_commit_callbacks(execute=True):
        ticket_change_status(ticket=desk["unassigned"], actor=bob, status=Status.RESOLVED)
    text, counted = queue(client)

    assert counted == 1
    assert open_count(text) == 3
    assert re.search(r"Unassigned\s+0\b", text)

    with django_capture_on_commit_callbacks(execute=True):
        ticket_create(requester=alice, subject="One more")

    assert open_count(queue(client)[0]) == 4


def test_a_change_rolled_back_leaves_the_counts_kept(bob, desk, client_for, django_capture_on_commit_callbacks):
    client = client_for(bob)
    queue(client)

    with django_capture_on_commit_callbacks() as callbacks:
        ticket_change_status(ticket=desk["unassigned"], actor=bob, status=Status.RESOLVED)

    assert callbacks  # the bump waits for the commit
    assert queue(client)[1] == 0


def test_counts_are_kept_per_agent(bob, carol, desk, client_for):
    queue(client_for(bob))

    text, counted = queue(client_for(carol))

    assert counted == 1
    assert re.search(r"My open\s+2\b", text)  # carol's, not bob's one


def test_counts_are_kept_no_longer_than_the_setting(bob, desk, client_for, settings, monkeypatch):
    settings.QUEUE_COUNTS_SECONDS = 30
    client = client_for(bob)
    queue(client)
    now = time.time()

    monkeypatch.setattr(counts.time, "time", lambda: now + 29)
    assert queue(client)[1] == 0
    monkeypatch.setattr(counts.time, "time", lambda: now + 31)
    assert queue(client)[1] == 1


def test_no_seconds_means_counting_on_every_page(bob, desk, client_for, settings):
    settings.QUEUE_COUNTS_SECONDS = 0
    client = client_for(bob)
    queue(client)

    assert queue(client)[1] == 1


def test_a_page_counts_a_filter_of_its_own_beside_the_kept_views(bob, desk, client_for):
    client = client_for(bob)
    queue(client)

    with CaptureQueriesContext(connection) as captured:
        text = shown_text(client.get(reverse("staff_queue"), {"status": Status.PENDING}).content.decode())

    (count_query,) = [query["sql"] for query in captured if "capped_0" in query["sql"]]
    assert "capped_1" not in count_query  # only the page's own count: the views' were kept
    assert "1 ticket" in text
    assert open_count(text) == 4


@pytest.mark.parametrize("params", [{}, {"view": "solved"}, {"status": Status.OPEN, "assignee": "none"}])
def test_a_page_renders_with_its_counts_when_the_cache_is_down(
    bob, desk, client_for, settings, django_capture_on_commit_callbacks, params
):
    settings.CACHES = REDIS_DOWN
    client = client_for(bob)

    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("staff_queue"), params)
        assert response.status_code == 200
        assert open_count(shown_text(response.content.decode())) == 4
        assert sum("capped_0" in query["sql"] for query in captured) == 1  # nothing kept: counted every time

    with django_capture_on_commit_callbacks(execute=True):
        ticket_change_status(ticket=desk["unassigned"], actor=bob, status=Status.RESOLVED)  # its bump fails quietly

    assert open_count(queue(client)[0]) == 3


def test_sla_refreshes_and_sweeps_outdate_the_counts(bob, desk, client_for, django_capture_on_commit_callbacks):
    client = client_for(bob)
    queue(client)
    before = cache.get(counts.GENERATION_KEY)

    with django_capture_on_commit_callbacks(execute=True):
        sla_open_tickets_refresh()
    refreshed = cache.get(counts.GENERATION_KEY)

    assert refreshed != before
    assert queue(client)[1] == 1
    assert sla_sweep() == 0  # nothing to check: nothing changed
    assert cache.get(counts.GENERATION_KEY) == refreshed
