from __future__ import annotations

from csat.models import SatisfactionSurvey
from helpdesk import api_fields


class SatisfactionSerializer(api_fields.ModelSerializer):
    class Meta:
        model = SatisfactionSurvey
        fields = ["rating", "comment", "rated_at", "resolved_at", "requested_at"]
        read_only_fields = fields
