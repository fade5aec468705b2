"""Comment bodies are Markdown rendered to sanitized HTML: nothing executable survives."""

from __future__ import annotations

import pytest

from tests.support.html import active_content
from tickets.markdown import render_markdown
from tickets.services import comment_create


def test_markdown_renders_emphasis_and_links():
    html = render_markdown("**bold** and [docs](https://example.com)")
    assert "<strong>bold</strong>" in html
    assert 'href="https://example.com"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[multi\nline](javascript:alert(1))",
        '<svg onload="alert(1)"></svg>',
        '<iframe src="https://evil.example"></iframe>',
    ],
)
def test_hostile_markdown_is_inert(payload):
    assert active_content(render_markdown(payload)) == []


def test_mailto_links_survive():
    assert 'href="mailto:help@example.com"' in render_markdown("[mail](mailto:help@example.com)")


def test_comment_stores_sanitized_html(ticket, bob):
    comment = comment_create(ticket=ticket, author=bob, body="hi <script>alert(1)</script> [x](javascript:alert(1))")
    assert active_content(comment.body_html) == []
    assert comment.body.startswith("hi <script>")  # the original text is kept as written


def test_ticket_description_is_rendered_and_sanitized(alice):
    from tickets.services import ticket_create

    ticket = ticket_create(requester=alice, subject="x", description="*hi* <img src=x onerror=alert(1)>")
    assert "<em>hi</em>" in ticket.description_html
    assert active_content(ticket.description_html) == []
