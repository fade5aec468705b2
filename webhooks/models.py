"""Outgoing webhooks: the endpoints admins register, one delivery per event and endpoint, and each HTTP attempt.

Deliveries follow the Standard Webhooks convention (https://www.standardwebhooks.com/): `webhook-id`,
`webhook-timestamp` and `webhook-signature` headers, an HMAC-SHA256 signature with a `whsec_` secret.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.fields import EncryptedTextField
from events.models import EventKind


class WebhookEndpoint(models.Model):
    url = models.URLField("URL", max_length=2000, help_text="Where events are POSTed; a public http(s) address.")
    description = models.CharField(max_length=200, blank=True)
    event_kinds = models.JSONField(
        default=list,
        blank=True,
        help_text="The event kinds sent here (see events.models.EventKind); empty means every kind, including "
        "kinds added later.",
    )
    include_internal = models.BooleanField(
        "internal events",
        default=False,
        help_text="Also send staff-only events: internal notes and their files, changes requesters do not see "
        "(priority, assignee, team, category, tags, edits), SLA warnings, ratings and role changes.",
    )
    is_active = models.BooleanField(
        "active",
        default=True,
        help_text="Disabled endpoints get nothing; their waiting deliveries go out once they are enabled again.",
    )
    secret = EncryptedTextField(help_text="The signing secret, `whsec_` and base64; shown once.")
    previous_secret = EncryptedTextField(blank=True, help_text="The secret before the last rotation.")
    previous_secret_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Until then deliveries are signed with both secrets."
    )
    disabled_reason = models.CharField(max_length=300, blank=True, help_text="Why the worker disabled it.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return self.description or self.url

    def subscribes_to(self, kind: str, *, internal: bool) -> bool:
        if internal and not self.include_internal:
            return False
        return not self.event_kinds or kind in self.event_kinds

    def signing_secrets(self, now: object) -> list[str]:
        """The current secret, and the previous one while it is still within its overlap after a rotation."""
        secrets = [self.secret]
        if self.previous_secret and self.previous_secret_expires_at and now < self.previous_secret_expires_at:
            secrets.append(self.previous_secret)
        return secrets

    @property
    def event_kind_labels(self) -> list[str]:
        return [EventKind(kind).label if kind in EventKind.values else kind for kind in self.event_kinds]


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"  # waiting for its turn, its first attempt or its next retry
    SENDING = "sending", "Sending"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed"  # retries exhausted, 410 Gone, or no longer sendable


UNFINISHED_STATES = (DeliveryState.PENDING, DeliveryState.SENDING)


class WebhookDelivery(models.Model):
    """One event for one endpoint: its body (fixed when it is prepared, so every attempt sends the same bytes) and
    where its retries stand. Deliveries of one ticket go out to one endpoint in event order."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="webhook_deliveries")
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    # No choices here: a new event kind needs no migration of this table (the events app's Event.kind has them).
    kind = models.CharField(max_length=64, help_text="The event's kind (events.models.EventKind).")
    message_id = models.CharField(max_length=64, unique=True, help_text="`webhook-id`: the same on every attempt.")
    body = models.TextField(help_text="The JSON sent, byte for byte, on every attempt.")
    state = models.CharField(max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    give_up_at = models.DateTimeField(help_text="Retries stop after this (about a day after it was prepared).")
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="webhook_delivery_once_per_event"),
        ]
        indexes = [
            models.Index(fields=["endpoint", "ticket", "event"], name="webhook_delivery_order"),
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state__in=["pending", "sending"]),
                name="webhook_delivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.endpoint_id} ({self.state})"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery: the delivery log an admin reads."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    response_head = models.TextField(blank=True, help_text="Status line, headers and the start of the body.")
    error = models.CharField(max_length=500, blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}"
