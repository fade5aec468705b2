"""Shape webhook endpoints and their delivery log for the API. Validation only; services do the writing."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from events.models import EventKind
from helpdesk import api_fields
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


class EventKindsField(serializers.ListField):
    """At most one entry per kind. ListField takes its limits as arguments only (a class attribute is overwritten)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            child=serializers.ChoiceField(choices=EventKind.choices), max_length=len(EventKind.choices), **kwargs
        )


class WebhookEndpointSerializer(api_fields.ModelSerializer):
    event_kinds = EventKindsField(
        required=False,
        help_text="Event kinds to receive (e.g. `ticket.status_changed`); empty or absent means every kind.",
    )
    secret_rotating_until = serializers.DateTimeField(
        source="previous_secret_expires_at",
        read_only=True,
        allow_null=True,
        help_text="After a rotation, until when deliveries are also signed with the previous secret.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "event_kinds",
            "include_internal",
            "is_active",
            "disabled_reason",
            "secret_rotating_until",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "disabled_reason", "secret_rotating_until", "created_at", "updated_at"]
        extra_kwargs = {"url": {"max_length": 2000}, "description": {"max_length": 200}}


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    """The answer to a create or a rotation: the only time the secret is shown."""

    secret = api_fields.CharField(
        read_only=True,
        help_text="The signing secret (`whsec_` + base64), shown only now: verify deliveries with it, e.g. with "
        "the `standardwebhooks` libraries.",
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = [*WebhookEndpointSerializer.Meta.read_only_fields, "secret"]


class WebhookEndpointCreatedSerializer(WebhookEndpointWithSecretSerializer):
    """The answer to a create. A retry with the same `Idempotency-Key` replays it with `secret` null: the secret is
    kept only on the endpoint, encrypted, never in the stored answer."""

    secret = api_fields.CharField(
        read_only=True,
        allow_null=True,
        help_text="The signing secret (`whsec_` + base64), shown only now: verify deliveries with it, e.g. with "
        "the `standardwebhooks` libraries. Null in a replayed answer (`Idempotent-Replayed: true`): if the first "
        "answer was lost, rotate the secret to get a new one.",
    )


class WebhookAttemptSerializer(api_fields.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "started_at", "duration_ms", "status_code", "response_head", "error", "succeeded"]
        read_only_fields = fields


class WebhookDeliverySerializer(api_fields.ModelSerializer):
    event = serializers.PrimaryKeyRelatedField(read_only=True)
    ticket = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "message_id",
            "kind",
            "event",
            "ticket",
            "state",
            "attempts",
            "next_attempt_at",
            "give_up_at",
            "last_status",
            "last_error",
            "created_at",
            "delivered_at",
            "body",
            "attempt_log",
        ]
        read_only_fields = fields
