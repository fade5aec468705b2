"""`{% timestamp %}` writes exactly what the `date` filters it replaces wrote, in any time zone and language."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

SHOWN = """datetime="{{ moment|date:'c' }}">{{ moment|date:"M j, Y, H:i" }}</time>"""
FILTERS = Template(f"<time {SHOWN}")
FILTERS_MUTED = Template(f'<time class="muted" {SHOWN}')
TAG = Template("{% load timestamps %}{% timestamp moment %}")
TAG_MUTED = Template('{% load timestamps %}{% timestamp moment "muted" %}')

MOMENTS = [
    datetime(2024, 1, 5, 0, 0, tzinfo=UTC),
    datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2025, 9, 30, 7, 3, 12, 123456, tzinfo=UTC),
    datetime(999, 12, 31, 12, 30, tzinfo=UTC),
    datetime(2024, 3, 31, 0, 30, tzinfo=zoneinfo.ZoneInfo("Asia/Kolkata")),
    datetime(2024, 6, 1, 8, 15),  # naive: shown as it is, as the filter does
]


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/St_Johns", "Pacific/Kiritimati"])
@pytest.mark.parametrize("language", ["en-us", "de", "fr"])
def test_timestamp_matches_the_date_filters(moment: datetime, zone: str, language: str) -> None:
    with timezone.override(zoneinfo.ZoneInfo(zone)), translation.override(language):
        context = Context({"moment": moment})
        assert TAG.render(context) == FILTERS.render(context)
        assert TAG_MUTED.render(context) == FILTERS_MUTED.render(context)


def test_timestamp_of_nothing_is_nothing() -> None:
    assert TAG.render(Context({"moment": None})) == ""
