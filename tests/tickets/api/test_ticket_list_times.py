"""The API list writes its times as DRF's DateTimeField does, in whatever time zone is current."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.utils import timezone as django_timezone
from rest_framework import serializers

from tickets.serializers import _datetime_representation

MOMENTS = [
    None,
    datetime(2025, 3, 30, 0, 59, 59, 123456, tzinfo=UTC),
    datetime(2025, 3, 30, 1, 0, tzinfo=UTC),
    datetime(2025, 10, 26, 3, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))),
]


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/St_Johns"])
def test_times_are_the_text_drf_writes(zone):
    with django_timezone.override(zone):
        when = _datetime_representation()
        expected = [serializers.DateTimeField().to_representation(moment) for moment in MOMENTS]

        assert [when(moment) for moment in MOMENTS] == expected
