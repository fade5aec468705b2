"""Shape SLA policies, their targets and a ticket's clocks for the API."""

from __future__ import annotations

from rest_framework import serializers

from sla.models import SlaClock, SlaPolicy, SlaTarget
from tickets.models import Priority


class SlaClockSerializer(serializers.ModelSerializer):
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


class SlaTargetSerializer(serializers.ModelSerializer):
    priority = serializers.ChoiceField(choices=Priority.labels, source="get_priority_display", read_only=True)

    class Meta:
        model = SlaTarget
        fields = ["priority", "first_response_minutes", "next_response_minutes", "resolution_minutes", "business_hours"]
        read_only_fields = fields


class SlaPolicySerializer(serializers.ModelSerializer):
    targets = SlaTargetSerializer(many=True, read_only=True)

    class Meta:
        model = SlaPolicy
        fields = ["id", "name", "description", "position", "is_active", "conditions", "targets"]
        read_only_fields = fields
