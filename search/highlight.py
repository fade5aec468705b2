"""A snippet as HTML: everything escaped, then the database's highlight marks turned into <mark> elements."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from search.services import MARK_END, MARK_START


def snippet_html(raw: str | None) -> SafeString:
    if not raw:
        return mark_safe("")
    text = escape(" ".join(raw.split()))
    # Safe: `text` is escaped, and indexed text never holds the marks (search.services strips them).
    return mark_safe(text.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))  # noqa: S308
