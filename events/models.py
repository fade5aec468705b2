"""What happened, as a durable record (the transactional outbox), and how each reaction to it went.

Services write an `Event` in the same transaction as the change. After commit it is handed to the worker, which
creates one `HandlerRun` per handler registered for its kind and runs each as its own Celery task. A periodic
sweep re-sends what was committed but never handed over, and runs whose message was lost, so nothing is dropped.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class EventKind(models.TextChoices):
    """Every domain event. Payloads hold ids and raw values (the API's values), never display strings."""

    TICKET_CREATED = "ticket.created", "Ticket created"
    TICKET_EDITED = "ticket.edited", "Subject or description edited"
    STATUS_CHANGED = "ticket.status_changed", "Status changed"
    PRIORITY_CHANGED = "ticket.priority_changed", "Priority changed"
    ASSIGNEE_CHANGED = "ticket.assignee_changed", "Assignee changed"
    TEAM_CHANGED = "ticket.team_changed", "Team changed"
    CATEGORY_CHANGED = "ticket.category_changed", "Category changed"
    TAGS_CHANGED = "ticket.tags_changed", "Tags changed"
    COMMENT_ADDED = "comment.added", "Comment added (public reply or internal note)"
    REQUESTER_REPLIED = "ticket.requester_replied", "Requester replied"
    ATTACHMENT_ADDED = "attachment.added", "Attachment added"
    MAIL_BOUNCED = "mail.bounced", "A mail about the ticket bounced"
    TICKET_MERGED = "ticket.merged", "Ticket merged into another"
    TICKET_LINKED = "ticket.linked", "Tickets linked"
    TICKET_UNLINKED = "ticket.unlinked", "Tickets unlinked"
    FORM_SUBMITTED = "form.submitted", "Intake form submitted"
    PRIVATE_LINK_REISSUED = "form.private_link_reissued", "Private link revoked and a new one mailed"
    ROLE_CHANGED = "user.role_changed", "Role changed"
    USER_EDITED = "user.edited", "Name or email address changed"
    TAG_RENAMED = "tag.renamed", "Tag renamed"
    SLA_WARNING = "sla.warning", "SLA target due soon"
    SLA_BREACHED = "sla.breached", "SLA target missed"
    CSAT_RATED = "csat.rated", "Satisfaction rating given"
    WEBHOOK_DISABLED = "webhook.disabled", "Webhook endpoint disabled by the worker"


class EventQuerySet(models.QuerySet["Event"]):
    def undispatched(self) -> EventQuerySet:
        return self.filter(dispatched_at__isnull=True)


class Event(models.Model):
    kind = models.CharField(max_length=64, choices=EventKind.choices)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="domain_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who did it; empty for the system (the worker, an automation).",
    )
    internal = models.BooleanField(default=False, help_text="Staff-only: an internal note, or a file on one.")
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text="When the worker created this event's handler runs."
    )

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["ticket", "id"], name="event_ticket"),
            models.Index(fields=["kind", "id"], name="event_kind"),
            # The sweep and the lag metric read only the few events not yet handed over.
            models.Index(fields=["created_at"], condition=Q(dispatched_at__isnull=True), name="event_undispatched"),
        ]

    def __str__(self) -> str:
        where = f" on #{self.ticket_id}" if self.ticket_id else ""
        return f"{self.kind}{where} ({self.pk})"

    @property
    def quiet(self) -> bool:
        """Recorded for demo data (seed_demo): kept, indexed and counted like any other, but nobody is mailed."""
        return bool((self.payload.get("cause") or {}).get("quiet"))


class RunState(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class HandlerRun(models.Model):
    """One handler's work on one event: retried with backoff, and left `failed` for an admin to see and retry."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="runs")
    handler = models.CharField(max_length=200, help_text="The Celery task that handles the event.")
    state = models.CharField(max_length=16, choices=RunState.choices, default=RunState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(
        default=timezone.now, help_text="When a pending run is due; the sweep re-sends runs long overdue."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["event", "handler"], name="handler_run_once_per_event")]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="handler_run_state_due")]

    def __str__(self) -> str:
        return f"{self.handler} for event {self.event_id}: {self.state}"


class WorkerHeartbeat(models.Model):
    """The last time beat's heartbeat task was run by a worker: proof that beat, the broker and a worker all work.

    `/readyz/worker` and `/metrics` read its age."""

    name = models.CharField(max_length=64, unique=True, default="worker")
    beat_at = models.DateTimeField()
    hostname = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"
