"""The staff ticket page costs the same number of queries for 3 comments as for 30, and shows each comment's
stored, sanitized HTML (rendered once when the comment was written, never per view)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.support.xss import PAYLOADS, unexpected_active_content
from tickets.models import Comment
from tickets.services import comment_create


def converse(ticket, people, count: int) -> None:
    """`count` comments by turns from `people`: staff's internal now and then, two in three with a file."""
    for number in range(count):
        files = [SimpleUploadedFile(f"log-{number}.txt", b"log", content_type="text/plain")] if number % 3 else []
        author = people[number % len(people)]
        internal = author.is_staff and number % 4 == 1
        comment_create(ticket=ticket, author=author, body=f"Reply **{number}**", internal=internal, files=files)


def page_queries(client, ticket) -> list[str]:
    client.get(reverse("staff_ticket_detail", args=[ticket.pk]))  # the first request fills per-process caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("staff_ticket_detail", args=[ticket.pk]))
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def test_the_page_makes_as_many_queries_for_30_comments_as_for_3(alice, bob, carol, ticket, client_for):
    client = client_for(bob)
    converse(ticket, [bob, alice, carol], 3)
    with_3 = page_queries(client, ticket)
    converse(ticket, [carol, alice, bob], 27)
    with_30 = page_queries(client, ticket)

    assert Comment.objects.filter(ticket=ticket).count() == 30
    assert len(with_30) == len(with_3), "\n".join(with_30)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="server-side cursors are PostgreSQL's")
def test_the_page_reads_its_select_options_without_a_server_side_cursor(bob, ticket, client_for):
    queries = page_queries(client_for(bob), ticket)

    assert not [sql for sql in queries if sql.startswith("DECLARE")]


def test_the_page_shows_the_html_stored_with_the_comment(bob, ticket, client_for):
    comment = comment_create(ticket=ticket, author=bob, body="Try **turning it off**")
    assert comment.body_html == "<p>Try <strong>turning it off</strong></p>\n"
    # Whatever is stored is what is shown: nothing renders the Markdown again on the way to the page.
    Comment.objects.filter(pk=comment.pk).update(body_html="<p>Stored <em>once</em></p>")

    body = client_for(bob).get(reverse("staff_ticket_detail", args=[ticket.pk])).content.decode()

    assert "<p>Stored <em>once</em></p>" in body
    assert "<strong>turning it off</strong>" not in body


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_hostile_comment_reaches_the_page_sanitized(alice, bob, ticket, client_for, payload):
    comment_create(ticket=ticket, author=alice, body=f"Requester says {payload}")
    comment_create(ticket=ticket, author=bob, body=f"Note: {payload}", internal=True)

    body = client_for(bob).get(reverse("staff_ticket_detail", args=[ticket.pk])).content.decode()

    assert body.count('<article class="comment') == 3  # the opening message and both comments
    assert unexpected_active_content(body, admin=False) == []


def test_a_ticket_without_sla_clocks_or_surveys_reads_neither(bob, ticket, client_for):
    # Its row says so (tickets.selectors.staff_ticket_page_for); tickets with them show them (tests/sla, tests/csat).
    queries = page_queries(client_for(bob), ticket)

    read = [sql for sql in queries if sql.startswith(('SELECT "sla_slaclock"', 'SELECT "csat_satisfactionsurvey"'))]
    assert read == []
