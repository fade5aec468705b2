"""Every mail the helpdesk sends, as a row: who it is for, why, what it says, and how delivery went.

A service creates the row in the same transaction as whatever caused it (usually in an event handler); after
commit the worker sends it. A failed send is retried with backoff and ends `failed` for an admin to resend; the
periodic sweep re-queues rows whose message was lost (a worker killed, a broker down), so no mail is lost.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.fields import EncryptedTextField


class NotificationKind(models.TextChoices):
    """What a mail is about. Each has its templates in templates/emails/<kind>{.txt,.html,_subject.txt}."""

    TICKET_CREATED = "ticket_created", "Confirmation of a new ticket"
    PUBLIC_REPLY = "public_reply", "A reply from the support team"
    RESOLVED = "resolved", "Ticket resolved"
    CSAT_SURVEY = "csat_survey", "Satisfaction survey"
    ASSIGNED = "assigned", "A ticket assigned to me"
    REQUESTER_REPLIED = "requester_replied", "The requester replied on my ticket"
    TEAM_NEW_TICKET = "team_new_ticket", "New unassigned ticket in my team"
    SLA_ESCALATION = "sla_escalation", "SLA target due soon or missed"
    PRIVATE_LINK = "private_link", "A new private link to a request"
    AUTOMATION = "automation", "Mail from an automation rule"
    WEBHOOK_DISABLED = "webhook_disabled", "A webhook endpoint was disabled"


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    BOUNCED = "bounced", "Bounced"


class Notification(models.Model):
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    address = models.EmailField(help_text="Where it was sent: the recipient's address at the time.")
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.ForeignKey(
        "events.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    key = models.CharField(
        max_length=100,
        help_text="What caused it (event:42, sla-notice:7…): one mail per cause, kind and address, however often "
        "the cause is delivered.",
    )
    subject = models.CharField(max_length=300)
    # Encrypted at rest: some bodies carry a private link or a survey token.
    body_text = EncryptedTextField()
    body_html = EncryptedTextField(blank=True)
    message_id = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["key", "kind", "address"], name="notification_once_per_cause"),
        ]
        indexes = [
            models.Index(fields=["ticket", "address", "id"], name="notification_thread"),
            # The sweep and the metrics read only the few rows still on their way.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["queued", "sending"]),
                name="notification_pending",
            ),
            # /metrics counts the mails not (yet) delivered; the sent ones, nearly all, are not read.
            models.Index(fields=["status"], condition=~Q(status="sent"), name="notification_unsent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.address}: {self.status}"


class NotificationPreference(models.Model):
    """A user's choice for one kind; no row means the kind's default (on)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {'on' if self.enabled else 'off'}"
