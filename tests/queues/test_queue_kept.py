"""The queue's counts and pages are kept a short while in the cache (queues/kept.py): a reload reads them from there,
any ticket change outdates them, and a cache that is down only means counting and reading the tickets again."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from csat.models import Rating
from csat.services import survey_rate, survey_request
from queues import kept, views
from sla.services import sla_open_tickets_refresh, sla_sweep
from tests.queues.conftest import DESK_VIEW_SUBJECTS, subjects
from tests.support.html import shown_text
from tickets.models import Status
from tickets.services import ticket_change_status, ticket_create, ticket_edit_content

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


DESK_VIEW_SUBJECTS_BY_KEY = dict(DESK_VIEW_SUBJECTS)


def mallory_of(desk) -> object:
    """The requester of the `desk` fixture's solved ticket."""
    return desk["solved"].requester


def open_count(text: str) -> int:
    return int(re.search(r"All open\s+(\d+)\b", text).group(1))


def reads_tickets(captured: CaptureQueriesContext) -> bool:
    """Whether a page counted or read tickets (its own page, or its rows' tags, clocks and ratings)."""
    return any("tickets_ticket" in query["sql"] or "sla_clock" in query["sql"] for query in captured)


def test_a_reload_reads_neither_the_counts_nor_the_page(bob, desk, client_for):
    client = client_for(bob)
    with CaptureQueriesContext(connection) as first:
        before = client.get(reverse("staff_queue"))
    with CaptureQueriesContext(connection) as second:
        after = client.get(reverse("staff_queue"))

    assert reads_tickets(first)
    assert not reads_tickets(second)
    assert len(second) < len(first)
    text = shown_text(after.content.decode())
    assert open_count(text) == 4
    assert "4 tickets" in text
    assert subjects(after) == subjects(before) == DESK_VIEW_SUBJECTS_BY_KEY["open"]


def test_a_ticket_change_shows_in_the_next_page(bob, alice, desk, client_for, django_capture_on_commit_callbacks):
    client = client_for(bob)
    assert open_count(queue(client)[0]) == 4

    with django_capture_on_commit_callbacks(execute=True):
        ticket_change_status(ticket=desk["unassigned"], actor=bob, status=Status.RESOLVED)
    text, counted = queue(client)

    assert counted == 1
    assert open_count(text) == 3
    assert re.search(r"Unassigned\s+0\b", text)
    assert "Nobody has it" not in text  # the page's rows too

    with django_capture_on_commit_callbacks(execute=True):
        ticket_create(requester=alice, subject="One more")

    text = queue(client)[0]
    assert open_count(text) == 4
    assert "One more" in text


def test_a_corrected_subject_shows_in_the_next_page(bob, desk, client_for, django_capture_on_commit_callbacks):
    client = client_for(bob)
    assert "Nobody has it" in queue(client)[0]

    with django_capture_on_commit_callbacks(execute=True):
        ticket_edit_content(ticket=desk["unassigned"], actor=bob, subject="Printer jams on tray 2", description="")
    text = queue(client)[0]

    assert "Printer jams on tray 2" in text
    assert "Nobody has it" not in text


def test_a_change_rolled_back_leaves_the_counts_kept(bob, desk, client_for, django_capture_on_commit_callbacks):
    client = client_for(bob)
    queue(client)

    with django_capture_on_commit_callbacks() as callbacks:
        ticket_change_status(ticket=desk["unassigned"], actor=bob, status=Status.RESOLVED)

    assert callbacks  # the bump waits for the commit
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("staff_queue")).status_code == 200
    assert not reads_tickets(captured)


def test_counts_are_kept_per_agent(bob, carol, desk, client_for):
    queue(client_for(bob))

    text, counted = queue(client_for(carol))

    assert counted == 1
    assert re.search(r"My open\s+2\b", text)  # carol's, not bob's one


def test_counts_are_kept_no_longer_than_the_setting(bob, desk, client_for, settings, monkeypatch):
    settings.QUEUE_COUNTS_SECONDS = 30
    client = client_for(bob)
    queue(client)
    now = timezone.now()

    monkeypatch.setattr(timezone, "now", lambda: now + timedelta(seconds=29))
    with CaptureQueriesContext(connection) as kept_page:
        assert queue(client)[1] == 0
    monkeypatch.setattr(timezone, "now", lambda: now + timedelta(seconds=31))
    with CaptureQueriesContext(connection) as outdated_page:
        assert queue(client)[1] == 1

    assert not reads_tickets(kept_page)
    assert any("LIMIT 51" in query["sql"] for query in outdated_page)  # the page's rows read again


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
    before = cache.get(kept.GENERATION_KEY)

    with django_capture_on_commit_callbacks(execute=True):
        sla_open_tickets_refresh()
    refreshed = cache.get(kept.GENERATION_KEY)

    assert refreshed != before
    assert queue(client)[1] == 1
    assert sla_sweep() == 0  # nothing to check: nothing changed
    assert cache.get(kept.GENERATION_KEY) == refreshed


def test_pages_are_kept_per_agent_and_per_filters(bob, carol, desk, client_for):
    bob_client, carol_client = client_for(bob), client_for(carol)
    for client in (bob_client, carol_client):
        for key in ("open", "mine", "pending"):
            assert subjects(client.get(reverse("staff_queue"), {"view": key})) or key == "mine"

    assert subjects(bob_client.get(reverse("staff_queue"), {"view": "mine"})) == ["Mine to answer"]
    assert subjects(carol_client.get(reverse("staff_queue"), {"view": "mine"})) == [
        "Waiting on customer",
        "Carol has it",
    ]
    assert subjects(bob_client.get(reverse("staff_queue"), {"status": Status.PENDING})) == ["Waiting on customer"]
    assert subjects(bob_client.get(reverse("staff_queue"))) == DESK_VIEW_SUBJECTS_BY_KEY["open"]


def test_each_page_of_a_view_is_kept_under_its_cursor(bob, desk, client_for, monkeypatch):
    monkeypatch.setattr(views, "QUEUE_PAGE_SIZE", 2)
    client = client_for(bob)
    first = client.get(reverse("staff_queue"))
    cursor = unquote(re.search(r'href="\?cursor=([^"&]+)" rel="next"', first.content.decode()).group(1))

    second = client.get(reverse("staff_queue"), {"cursor": cursor})
    again = client.get(reverse("staff_queue"), {"cursor": cursor})

    assert subjects(first) == DESK_VIEW_SUBJECTS_BY_KEY["open"][:2]
    assert subjects(second) == subjects(again) == DESK_VIEW_SUBJECTS_BY_KEY["open"][2:]
    assert subjects(client.get(reverse("staff_queue"))) == subjects(first)


def test_an_outdated_cursor_says_so_on_every_request(bob, desk, client_for):
    client = client_for(bob)
    for _ in range(2):
        response = client.get(reverse("staff_queue"), {"cursor": "not-a-cursor"})
        assert "That page link is out of date" in response.content.decode()
        assert subjects(response) == DESK_VIEW_SUBJECTS_BY_KEY["open"]


def test_a_survey_and_its_rating_show_in_the_next_page(
    bob, alice, desk, client_for, django_capture_on_commit_callbacks
):
    client = client_for(bob)

    def solved_row() -> str:
        return shown_text(client.get(reverse("staff_queue"), {"view": "solved"}).content.decode())

    assert "Not rated" not in solved_row()
    with django_capture_on_commit_callbacks(execute=True):
        survey = survey_request(ticket_id=desk["solved"].pk)
    assert "Not rated" in solved_row()
    with django_capture_on_commit_callbacks(execute=True):
        survey_rate(survey=survey, rating=Rating.GOOD, actor=mallory_of(desk))
    assert "Rated good" in solved_row()


def test_the_recently_solved_view_is_kept_though_its_window_moves(bob, desk, client_for):
    client = client_for(bob)
    assert subjects(client.get(reverse("staff_queue"), {"view": "solved"})) == ["Fixed yesterday"]

    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("staff_queue"), {"view": "solved"})

    assert not reads_tickets(captured)
    assert subjects(response) == ["Fixed yesterday"]
