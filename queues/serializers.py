from __future__ import annotations

from rest_framework import serializers

from helpdesk import api_fields
from queues.models import SavedView
from tickets.models import Team


class SavedViewSerializer(api_fields.ModelSerializer):
    conditions = serializers.DictField(
        child=api_fields.CharField(allow_blank=False, max_length=1000),
        required=False,
        help_text='The ticket list\'s filters, as its query string has them: {"status": "new,open", "assignee": "me"}.',
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(),
        allow_null=True,
        required=False,
        help_text="Shared with this team (you must be a member); null for a personal view.",
    )
    owner = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = SavedView
        fields = ["id", "name", "owner", "team", "conditions", "sort", "position", "created_at"]
        read_only_fields = ["id", "owner", "created_at"]
