"""Matched words are highlighted in a snippet; nothing typed into a ticket becomes HTML."""

from __future__ import annotations

from search.highlight import snippet_html
from search.services import MARK_END, MARK_START
from tests.search.helpers import API
from tickets.services import ticket_create


def test_highlighting_escapes_everything_but_its_own_marks():
    raw = f'<script>alert(1)</script> the {MARK_START}printer{MARK_END} & "tray" <b>'

    html = snippet_html(raw)

    assert html == ("&lt;script&gt;alert(1)&lt;/script&gt; the <mark>printer</mark> &amp; &quot;tray&quot; &lt;b&gt;")


def test_a_ticket_with_html_and_mark_characters_is_found_and_shown_escaped(
    api_client_for, client_for, alice, bob, worker
):
    with worker():
        ticket_create(
            requester=alice,
            subject="Toner <img src=x onerror=alert(1)>",
            description=f"The toner {MARK_START}<mark>{MARK_END} cartridge </mark> is <script>alert(2)</script> empty.",
        )

    snippet = api_client_for(bob).get(API, {"q": "toner cartridge"}).json()["results"][0]["snippet"]
    page = client_for(bob).get("/staff/", {"q": "toner cartridge"}).content.decode()

    assert "<mark>" in snippet and "<script>" not in snippet and "<img" not in snippet
    assert "&lt;" in snippet
    assert snippet.count("<mark>") == snippet.count("</mark>")  # typed marks are text, not highlights
    assert "<mark>cartridge</mark>" in snippet
    assert "<script>alert(2)" not in page and "<img src=x" not in page
    assert "<mark>cartridge</mark>" in page


def test_the_api_has_a_snippet_only_when_searching(api_client_for, bob, world):
    client = api_client_for(bob)

    searched = client.get(API, {"q": "double-sided"}).json()["results"]
    listed = client.get(API).json()["results"]
    one = client.get(f"{API}{world.printer.pk}/").json()

    assert "<mark>" in searched[0]["snippet"]
    assert all("snippet" not in row for row in listed)
    assert "snippet" not in one
