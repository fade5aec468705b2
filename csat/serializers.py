from __future__ import annotations

from rest_framework import serializers

from csat.models import SatisfactionSurvey


class SatisfactionSerializer(serializers.ModelSerializer):
    class Meta:
        model = SatisfactionSurvey
        fields = ["rating", "comment", "rated_at", "resolved_at", "requested_at"]
        read_only_fields = fields
