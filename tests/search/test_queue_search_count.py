"""A text search's count in the staff queue is read off its page, not counted (queues.selectors.searched_count):
exact when every match is on the page, "50+" beyond it. The views beside it keep their counts."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from queues.builtin import BUILTIN_VIEWS
from queues.services import saved_view_create
from tests.support.html import shown_text
from tickets.services import ticket_create


@pytest.fixture
def printers(alice, worker) -> None:
    with worker():
        for number in range(4):
            ticket_create(requester=alice, subject=f"Printer {number} jams", description="Paper stuck.")
        ticket_create(requester=alice, subject="Laptop battery", description="Swelling.")


def queue_page(client, **params: str) -> str:
    return shown_text(client.get(reverse("staff_queue"), params).content.decode())


def test_a_search_that_fits_on_its_page_is_counted_exactly(bob, client_for, printers):
    assert "4 tickets" in queue_page(client_for(bob), q="printer")


def test_a_search_past_its_page_says_more_than_a_page(bob, client_for, printers, monkeypatch):
    monkeypatch.setattr("queues.views.QUEUE_PAGE_SIZE", 3)

    assert "3+ tickets" in queue_page(client_for(bob), q="printer")


def counted_querysets(client, **params: str) -> int:
    """How many querysets the page's one capped-count query counts."""
    with CaptureQueriesContext(connection) as captured:
        queue_page(client, **params)
    (counts,) = [query["sql"] for query in captured.captured_queries if "capped_0" in query["sql"]]
    return len(re.findall(r"\bcapped_\d+\b", counts))


def test_a_search_runs_no_count_of_its_own(bob, client_for, printers):
    client = client_for(bob)

    assert counted_querysets(client) == len(BUILTIN_VIEWS) + 1  # the views and the page
    cache.clear()  # the views' counts, kept for QUEUE_COUNTS_SECONDS (queues/kept.py): count them again
    assert counted_querysets(client, q="printer") == len(BUILTIN_VIEWS)


def test_views_keep_their_counts_beside_a_search(bob, client_for, printers):
    saved_view_create(owner=bob, name="Printers", conditions={"q": "printer"})

    text = queue_page(client_for(bob), q="printer")

    assert re.search(r"All open\s+5\b", text)
    assert re.search(r"Printers\s+4\b", text)
