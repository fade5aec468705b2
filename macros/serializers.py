from __future__ import annotations

from rest_framework import serializers

from accounts.models import User
from helpdesk import api_fields
from macros.models import Macro
from tickets.models import BODY_MAX_CHARS, Team
from tickets.serializers import PriorityField


class MacroSerializer(api_fields.ModelSerializer):
    set_priority = PriorityField(required=False, allow_null=True)
    set_assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.staff(), allow_null=True, required=False)
    shared_team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), allow_null=True, required=False)
    set_team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), allow_null=True, required=False)

    class Meta:
        model = Macro
        fields = [
            "id",
            "name",
            "body",
            "internal",
            "owner",
            "visibility",
            "shared_team",
            "set_status",
            "set_priority",
            "add_tags",
            "set_assignee",
            "assign_to_me",
            "set_team",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "owner", "created_at", "updated_at"]


class MacroApplySerializer(serializers.Serializer):
    macro = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="The macro's id.")
    body = api_fields.CharField(
        required=False,
        allow_blank=True,
        max_length=BODY_MAX_CHARS,
        help_text="The text to post instead of the macro's own (placeholders already filled in, as the agent "
        "edited it). Omit it to post the macro's text with its placeholders filled in.",
    )
    internal = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Post as an internal note (default: the macro's)."
    )


class MacroApplyResultSerializer(serializers.Serializer):
    comment = serializers.IntegerField(allow_null=True, help_text="The comment posted, if the macro has a text.")
    ticket = serializers.IntegerField()
    status = api_fields.CharField()
    changed = serializers.BooleanField(
        help_text="Whether anything was posted or changed: false when the ticket already had everything the macro "
        "sets (and it has no text)."
    )
    message = api_fields.CharField(help_text="What happened, in words for the agent.")
