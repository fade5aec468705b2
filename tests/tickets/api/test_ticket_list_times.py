"""The API list writes its times as DRF's DateTimeField does, in whatever time zone is current."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.utils import timezone as django_timezone
from rest_framework import serializers

from tests.support.api import as_the_list_writes
from tickets.serializers import _datetime_representation

MOMENTS = [
    None,
    datetime(2025, 3, 30, 0, 59, 59, 123456, tzinfo=UTC),
    datetime(2025, 3, 30, 1, 0, tzinfo=UTC),
    datetime(2025, 3, 30, 1, 0, 0, 1, tzinfo=UTC),
    datetime(2025, 10, 26, 3, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(2025, 10, 26, 3, 0, tzinfo=timezone(timedelta(hours=-5, minutes=-30, seconds=-15))),
]


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/St_Johns"])
def test_times_are_the_text_drf_writes(zone):
    with django_timezone.override(zone):
        when = _datetime_representation()
        expected = [serializers.DateTimeField().to_representation(moment) for moment in MOMENTS]

        assert as_the_list_writes([when(moment) for moment in MOMENTS]) == expected


def test_in_utc_a_utc_time_is_left_to_the_renderer_and_any_other_is_text():
    """Formatting a page's times one call each took longer than the rest of its payload (bench/README.md,
    seventeenth session): in UTC the renderer writes them."""
    with django_timezone.override("UTC"):
        when = _datetime_representation()

        assert when(MOMENTS[1]) is MOMENTS[1]
        assert isinstance(when(MOMENTS[-1]), str)
