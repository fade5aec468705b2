from __future__ import annotations

from automations.models import Rule, RuleRun
from helpdesk import api_fields
from tickets.serializers import PriorityField


class RuleSerializer(api_fields.ModelSerializer):
    set_priority = PriorityField(required=False, allow_null=True)

    class Meta:
        model = Rule
        fields = [
            "id",
            "name",
            "is_active",
            "position",
            "trigger",
            "conditions",
            "after_minutes",
            "time_base",
            "business_hours",
            "set_status",
            "set_priority",
            "set_team",
            "set_category",
            "add_tags",
            "assign",
            "assign_to",
            "internal_note",
            "notify",
            "notification_subject",
            "notification_body",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class RuleRunSerializer(api_fields.ModelSerializer):
    class Meta:
        model = RuleRun
        fields = ["id", "rule", "ticket", "event", "outcome", "reason", "created_at"]
        read_only_fields = fields
