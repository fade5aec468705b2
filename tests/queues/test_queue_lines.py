"""The queue's rows as queues.display writes them: every value escaped, each badge as the page's includes had it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from django.utils.safestring import SafeString

from helpdesk.html_rows import month_abbreviations, url_with_id
from queues.display import Moment, QueueLine, ago, lines_html

HOSTILE = '<script>alert("x")</script>'
NOW = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)


def line(**changes) -> QueueLine:
    moment = Moment.of(NOW - timedelta(hours=3), NOW, zone=UTC, months=month_abbreviations())
    base = QueueLine(
        id=7,
        url="/staff/tickets/7/",
        subject=HOSTILE,
        tags=[HOSTILE],
        preview=HOSTILE,
        preview_internal=False,
        snippet=None,
        requester_name=HOSTILE,
        requester_email="a@example.com",
        sender_verified=True,
        status="open",
        status_label="Open",
        priority_name="high",
        priority_label="High",
        assignee_name=None,
        due=None,
        survey=None,
        rating_text="",
        created=moment,
        updated=moment,
    )
    return replace(base, **changes)


def test_every_value_from_a_ticket_is_escaped():
    html = lines_html([line()])

    assert "<script>" not in html
    assert html.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") == 4  # subject, tag, preview, requester


def test_a_row_shows_its_badges_and_times():
    html = lines_html([line()])

    assert '<tr data-ticket-row data-ticket-id="7">' in html
    assert (
        '<span class="badge badge-status badge-status-open"><span class="visually-hidden">Status: </span>Open' in html
    )
    assert 'badge-priority-high"><span class="visually-hidden">Priority: </span>High</span>' in html
    assert '<td class="col-assignee"><span class="muted">Unassigned</span></td>' in html
    assert '<td class="col-sla"><span class="muted">—</span></td>' in html
    assert '<time datetime="2025-03-04T09:00:00+00:00" title="Created Mar 4, 2025, 09:00">3h</time>' in html
    assert "Sender not verified" not in html
    assert "queue-note-mark" not in html


def test_an_internal_note_an_unverified_sender_a_due_promise_and_a_rating_are_marked():
    html = lines_html(
        [
            line(
                preview_internal=True,
                sender_verified=False,
                assignee_name="Bob",
                due=SimpleNamespace(state="breached", text="First response overdue by 5m"),
                survey=SimpleNamespace(rating="bad", comment=HOSTILE),
                rating_text="bad",
            )
        ]
    )

    assert '<span class="queue-note-mark">Note:</span> &lt;script&gt;' in html
    assert "Sender not verified</span>" in html
    assert '<td class="col-assignee">Bob</td>' in html
    assert '<span class="sla sla-breached">First response overdue by 5m</span>' in html
    assert (
        '<span class="csat csat-bad" title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;">Rated bad</span>' in html
    )


def test_an_unrated_survey_says_so_and_a_search_snippet_keeps_its_highlight():
    html = lines_html(
        [line(survey=SimpleNamespace(rating="", comment=""), snippet=SafeString("a <mark>printer</mark>"))]
    )

    assert '<span class="muted">Not rated</span>' in html
    assert '<span class="search-snippet">a <mark>printer</mark></span>' in html


def test_relative_times_are_compact():
    assert [ago(NOW - delta, NOW) for delta in (timedelta(seconds=30), timedelta(minutes=5), timedelta(days=15))] == [
        "now",
        "5m",
        "2w",
    ]
    assert ago(None, NOW) == ""


def test_every_other_value_is_escaped_too():
    html = lines_html(
        [
            line(
                url='/staff/tickets/7/?a="b"&c',
                requester_email=HOSTILE,
                assignee_name=HOSTILE,
                status_label=HOSTILE,
                due=SimpleNamespace(state='x" onclick="y', text=HOSTILE),
                survey=SimpleNamespace(rating="bad", comment=HOSTILE),
                rating_text=HOSTILE,
            )
        ]
    )

    assert "<script>" not in html
    assert (
        html.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") == 10
    )  # subject, tag, preview, requester and these six
    assert 'href="/staff/tickets/7/?a=&quot;b&quot;&amp;c"' in html
    assert 'class="sla sla-x&quot; onclick=&quot;y"' in html


def test_a_row_links_to_its_ticket(db):
    assert url_with_id("staff_ticket_detail")(123) == "/staff/tickets/123/"
