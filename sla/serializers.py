"""Shape SLA policies, their targets and a ticket's clocks for the API."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from rest_framework import serializers

from helpdesk import api_fields
from sla.models import SlaClock, SlaPolicy, SlaTarget, is_breached
from tickets.models import Priority


class SlaClockSerializer(api_fields.ModelSerializer):
    breached = serializers.BooleanField(source="is_breached", read_only=True)

    class Meta:
        model = SlaClock
        fields = [
            "metric",
            "target_minutes",
            "started_at",
            "due_at",
            "warn_at",
            "paused",
            "breached",
            "breached_at",
            "met_at",
            "stopped_at",
            "policy",
        ]
        read_only_fields = fields


def clock_data(
    clock: Mapping[str, Any], when: Callable[[datetime | None], datetime | str | None], now: datetime
) -> dict[str, Any]:
    """SlaClockSerializer's output for one clock read as values (sla.selectors.running_clock_values_by_ticket),
    without the serializer: on a page of tickets with their running clocks, serializing them took longer than the
    database took to find them (bench/README.md, twelfth session). `when` writes a time as the serializer's
    DateTimeField does, or leaves it for the renderer to (tickets.serializers._datetime_representation); `now`
    decides `breached`. A test holds the two outputs equal."""
    return {
        "metric": clock["metric"],
        "target_minutes": clock["target_minutes"],
        "started_at": when(clock["started_at"]),
        "due_at": when(clock["due_at"]),
        "warn_at": when(clock["warn_at"]),
        "paused": clock["paused"],
        "breached": is_breached(clock["breached_at"], clock["due_at"], now),
        "breached_at": when(clock["breached_at"]),
        "met_at": when(clock["met_at"]),
        "stopped_at": when(clock["stopped_at"]),
        "policy": clock["policy_id"],
    }


class SlaTargetSerializer(api_fields.ModelSerializer):
    priority = serializers.ChoiceField(choices=Priority.labels, source="get_priority_display", read_only=True)

    class Meta:
        model = SlaTarget
        fields = ["priority", "first_response_minutes", "next_response_minutes", "resolution_minutes", "business_hours"]
        read_only_fields = fields


class SlaPolicySerializer(api_fields.ModelSerializer):
    targets = SlaTargetSerializer(many=True, read_only=True)

    class Meta:
        model = SlaPolicy
        fields = ["id", "name", "description", "position", "is_active", "conditions", "targets"]
        read_only_fields = fields
