"""CSV export of any queue view: the columns a manager expects, streamed, read from the database chunk by chunk."""

from __future__ import annotations

import csv
import io
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from forms_builder.services import submission_create
from queues.services import saved_view_create
from tests.forms_builder.examples import bug_report_form
from tickets.services import TicketChanges, ticket_create, ticket_update


def rows_of(response) -> list[list[str]]:
    return rows_of_text(b"".join(response.streaming_content))


def rows_of_text(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8").removeprefix("\ufeff"))))


def test_the_export_has_the_managers_columns_and_every_ticket_of_the_view(bob, team, category, desk, client_for):
    ticket_update(ticket=desk["mine"], actor=bob, changes=TicketChanges(tags=["vip", "billing"]))

    response = client_for(bob).get(reverse("queue_export"), {"view": "open"})

    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="all-open-\d{4}-\d{2}-\d{2}\.csv"', response["Content-Disposition"])
    header, *rows = rows_of(response)
    assert header[:11] == [
        "id",
        "subject",
        "status",
        "priority",
        "requester_name",
        "requester_email",
        "assignee",
        "team",
        "category",
        "tags",
        "channel",
    ]
    assert "first_response_at" in header and "resolved_at" in header and "sla_due_at" in header
    assert [row[1] for row in rows] == ["Waiting on customer", "Carol has it", "Nobody has it", "Mine to answer"]
    mine = dict(zip(header, rows[-1], strict=True))
    assert mine["requester_email"] == "alice@example.com" and mine["requester_name"] == "Alice Requester"
    assert (mine["status"], mine["priority"], mine["assignee"]) == ("new", "high", "Bob Agent")
    assert (mine["team"], mine["category"], mine["tags"]) == (team.name, category.name, "billing, vip")
    assert mine["created_at"].endswith("+00:00")


def test_the_export_follows_the_filters_on_the_page(bob, desk, client_for):
    page = client_for(bob).get(reverse("staff_queue"), {"status": ["resolved", "closed"], "sort": "oldest"})
    export_url = re.search(r'class="queue-export" href="([^"]+)"', page.content.decode()).group(1)

    rows = rows_of(client_for(bob).get(export_url.replace("&amp;", "&")))

    assert [row[1] for row in rows[1:]] == ["Fixed yesterday", "Closed last year"]


def test_a_saved_view_is_exported_by_its_id(bob, desk, client_for):
    view = saved_view_create(owner=bob, name="Pending ones", conditions={"status": "pending"})

    response = client_for(bob).get(reverse("queue_export"), {"view": view.pk})

    assert [row[1] for row in rows_of(response)[1:]] == ["Waiting on customer"]
    assert 'filename="pending-ones-' in response["Content-Disposition"]


def test_cells_a_spreadsheet_would_run_as_formulas_are_defused(alice, bob, client_for):
    ticket_create(requester=alice, subject='=HYPERLINK("http://evil.example","click")')

    rows = rows_of(client_for(bob).get(reverse("queue_export")))

    assert rows[1][1] == '\'=HYPERLINK("http://evil.example","click")'


def test_the_export_reads_the_tickets_chunk_by_chunk_as_it_streams(alice, bob, client_for, monkeypatch):
    """Memory stays flat: tickets are fetched (and their tags prefetched) ten at a time, as the stream is read."""
    monkeypatch.setattr("queues.export.EXPORT_CHUNK_SIZE", 10)
    monkeypatch.setattr("queues.export.STREAM_PIECE_SIZE", 1)  # every line is sent as it is made
    for number in range(35):
        ticket_create(requester=alice, subject=f"Ticket {number}")
    stream = iter(client_for(bob).get(reverse("queue_export")).streaming_content)

    def tag_prefetches(queries) -> list[int]:
        """How many tickets each tags prefetch asked for."""
        found = []
        for query in queries:
            sql = query["sql"]
            if "tickets_ticket_tags" in sql and " IN (" in sql:
                found.append(sql.split(" IN (", 1)[1].split(")", 1)[0].count(",") + 1)
        return found

    with CaptureQueriesContext(connection) as queries:
        next(stream)  # the byte order mark and the header
        next(stream)  # the first ticket
        assert tag_prefetches(queries.captured_queries) == [10]
        rest = list(stream)
        assert tag_prefetches(queries.captured_queries) == [10, 10, 10, 5]
    assert len(rest) == 34


def test_lines_are_sent_in_pieces_not_one_write_per_line(alice, bob, client_for, monkeypatch):
    monkeypatch.setattr("queues.export.STREAM_PIECE_SIZE", 400)
    for number in range(20):
        ticket_create(requester=alice, subject=f"Ticket {number}")
    pieces = list(client_for(bob).get(reverse("queue_export")).streaming_content)
    assert 1 < len(pieces) < 21
    assert all(len(piece) >= 400 for piece in pieces[:-1])
    assert len(rows_of_text(b"".join(pieces))) == 21


def test_requesters_get_404_and_anonymous_visitors_the_login_page(alice, mallory, desk, client_for):
    assert client_for(mallory).get(reverse("queue_export")).status_code == 404
    assert client_for(alice).get(reverse("queue_export"), {"view": "open"}).status_code == 404
    anonymous = client_for(None).get(reverse("queue_export"))
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("account_login"))


def test_another_agents_private_view_cannot_be_exported(bob, erin, desk, client_for):
    view = saved_view_create(owner=erin, name="Erin's", conditions={})

    assert client_for(bob).get(reverse("queue_export"), {"view": view.pk}).status_code == 404


def test_odd_filters_export_without_a_server_error(bob, desk, client_for):
    for query in ("team=abc", "status=%00", "view=99999999999999999999999", "created_after=99999-01-01"):
        response = client_for(bob).get(f"{reverse('queue_export')}?{query}")
        assert response.status_code in (200, 400, 404)
        if response.status_code == 200:
            b"".join(response.streaming_content)


def test_the_export_of_a_forms_tickets_has_only_those(bob, alice, carol, category, desk, client_for):
    form = bug_report_form(category, admin=carol)
    submission, _token = submission_create(
        form=form, answers={"product": "web", "summary": "Login fails"}, requester=alice, actor=alice
    )

    response = client_for(bob).get(reverse("queue_export"), {"form": form.pk})

    assert [row[0] for row in rows_of(response)[1:]] == [str(submission.ticket.pk)]
