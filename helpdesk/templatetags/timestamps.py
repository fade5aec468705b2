"""`{% timestamp moment %}`: a `<time>` element, the same as
`<time datetime="{{ moment|date:'c' }}">{{ moment|date:"M j, Y, H:i" }}</time>` at a fraction of the cost.

The `date` filter parses its format string and looks up formats and translations on every call; a page with a
hundred comments calls it twice per comment, which was a fifth of the staff ticket page's render. The output
is held equal to the filter's by tests/helpdesk/test_timestamps.py.
"""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


def timestamp_display(moment: datetime) -> str:
    """`moment|date:"M j, Y, H:i"` for a datetime already in the current time zone."""
    return f"{MONTHS_3[moment.month].title()} {moment.day}, {moment.year:04d}, {moment.hour:02d}:{moment.minute:02d}"


@register.simple_tag
def timestamp(moment: datetime | None, css_class: str = "") -> SafeString:
    if moment is None:
        return SafeString("")
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    if css_class:
        return format_html(
            '<time class="{}" datetime="{}">{}</time>', css_class, moment.isoformat(), timestamp_display(moment)
        )
    return format_html('<time datetime="{}">{}</time>', moment.isoformat(), timestamp_display(moment))
