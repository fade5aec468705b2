from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from search.highlight import snippet_html

register = template.Library()


@register.filter
def search_snippet(raw: str | None) -> SafeString:
    """The matched words of a search result highlighted, the rest escaped."""
    return snippet_html(raw)
