from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils import timezone


class Status(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING = "pending", "Pending"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


class Priority(models.IntegerChoices):
    """Stored as numbers so tickets sort by urgency; the API and pages speak the names."""

    LOW = 10, "low"
    NORMAL = 20, "normal"
    HIGH = 30, "high"
    URGENT = 40, "urgent"

    @classmethod
    def from_name(cls, name: str) -> Priority:
        for member in cls:
            if member.label == name:
                return member
        raise ValueError(name)


OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING)


class Channel(models.TextChoices):
    """The door a ticket came in through."""

    WEB = "web", "Web page"
    FORM = "form", "Intake form"
    EMAIL = "email", "Email"
    API = "api", "API"
    STAFF = "staff", "Opened by staff"


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="teams",
        blank=True,
        limit_choices_to={"role__in": ["admin", "agent"]},
        help_text="Agents and admins who work this team's tickets.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CategoryQuerySet(models.QuerySet["Category"]):
    def active(self) -> CategoryQuerySet:
        return self.filter(is_active=True)


class Category(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    default_team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    is_active = models.BooleanField("active", default=True)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.SlugField(max_length=50, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# The longest message a person may write: a ticket's description, a reply or note, a macro's text, a rule's note.
# Each is rendered from Markdown, indexed for search and sent in mail and webhook payloads, every time at full size;
# 64 Ki characters is Zendesk's cap on a comment and some thirty printed pages, far past any real message. A TextField
# enforces it only in forms and serializers (no database constraint): rows written before it stay as they are.
BODY_MAX_CHARS = 65_536


class TicketQuerySet(models.QuerySet["Ticket"]):
    def open(self) -> TicketQuerySet:
        return self.filter(status__in=OPEN_STATUSES)


class Ticket(models.Model):
    subject = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=BODY_MAX_CHARS)
    description_html = models.TextField(blank=True, editable=False, help_text="Rendered from Markdown, sanitized.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_tickets")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
        limit_choices_to={"role__in": ["admin", "agent"]},
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets")
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.WEB, editable=False)
    sender_verified = models.BooleanField(
        default=True,
        editable=False,
        help_text="False: submitted without signing in (a public form, an email), so the requester's address was "
        "typed by the sender, not proven. Staff see a mark and must not disclose account details in replies.",
    )
    followers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="followed_tickets",
        help_text="People besides the requester who receive the public replies (for example Cc'd on an email).",
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="merged_tickets",
        help_text="Set when this ticket was merged into another: its conversation moved there.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Each default sort, with and without a status filter, read in index order (bench/README.md has the
            # EXPLAIN ANALYZE at 1M tickets): the id breaks ties, so it is in the index too.
            models.Index(fields=["status", "-created_at", "-id"], name="ticket_status_created_id"),
            # Unassigned work (the queue's assignee=none, the "Unassigned" counts): without it, PostgreSQL ANDs the
            # status index with every unassigned ticket's entry in the assignee index, 25 ms at 1M, before any LIMIT.
            models.Index(
                fields=["status", "-created_at", "-id"],
                condition=models.Q(assignee__isnull=True),
                name="ticket_unassigned_status",
            ),
            models.Index(fields=["priority", "id"], name="ticket_priority"),  # the API's ?ordering=-priority
            models.Index(fields=["priority", "created_at", "id"], name="ticket_priority_created"),  # the queue's
            models.Index(fields=["created_at", "id"], name="ticket_created"),
            models.Index(fields=["updated_at", "id"], name="ticket_updated"),
            # "Recently solved" (resolved or closed, updated in the last days) and any status sorted by update: without
            # it the count walks every recently updated open ticket too (6,500 rows, 10 ms at 1M).
            models.Index(fields=["status", "-updated_at", "-id"], name="ticket_status_updated_id"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def priority_name(self) -> str:
        return Priority(self.priority).label


class Comment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments")
    body = models.TextField(max_length=BODY_MAX_CHARS)
    body_html = models.TextField(editable=False, help_text="The body rendered from Markdown and sanitized.")
    internal = models.BooleanField(default=False, help_text="Internal notes are never shown to requesters.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        # A ticket's conversation in this order, and its last message read backwards (the queue's preview).
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="comment_ticket_created_id")]

    def __str__(self) -> str:
        return f"Comment {self.pk} on #{self.ticket_id}"


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    """A random name with no extension: nothing the uploader chose reaches the file system."""
    return f"{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file on a ticket: on one of its comments, or on the ticket itself when sent with the opening message."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_upload_to, max_length=200)
    filename = models.CharField(max_length=255, help_text="The uploader's file name, for display only.")
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        # Whether a stored file is still named by a row: the sweep of files a killed request left (and the check
        # at the end of each request) ask by name.
        indexes = [models.Index(fields=["file"], name="attachment_file")]

    def __str__(self) -> str:
        return self.filename

    @property
    def extension(self) -> str:
        return PurePath(self.filename).suffix.lower().lstrip(".")


class TicketEventKind(models.TextChoices):
    CREATED = "created", "Created"
    STATUS = "status", "Status changed"
    PRIORITY = "priority", "Priority changed"
    ASSIGNEE = "assignee", "Assignee changed"
    TEAM = "team", "Team changed"
    CATEGORY = "category", "Category changed"
    TAGS = "tags", "Tags changed"
    COMMENT = "comment", "Comment added"
    ATTACHMENT = "attachment", "Attachment added"
    BOUNCE = "bounce", "Mail bounced"
    MERGED = "merged", "Merged"
    LINKED = "linked", "Link added"
    UNLINKED = "unlinked", "Link removed"


class TicketEvent(models.Model):
    """The audit trail. Written only by tickets.services, never edited."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=TicketEventKind.choices)
    via = models.CharField(
        max_length=200, blank=True, help_text="What made the change when no person did: an automation rule, named."
    )
    field = models.CharField(max_length=32, blank=True)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    internal = models.BooleanField(default=False, help_text="Staff-only events are never shown to requesters.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="event_ticket_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on #{self.ticket_id}"


class TicketLinkKind(models.TextChoices):
    """Stored from one side; `relation_of` (tickets/services/links.py) reads each kind from the other side too."""

    RELATED = "related", "Related to"
    DUPLICATE_OF = "duplicate_of", "Duplicate of"
    CHILD_OF = "child_of", "Child of"


class TicketLink(models.Model):
    """Two tickets linked: related, one a duplicate of the other, or one a child of the other. One link per pair."""

    from_ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_from")
    to_ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_to")
    kind = models.CharField(max_length=16, choices=TicketLinkKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["from_ticket", "to_ticket"], name="ticket_link_unique_pair"),
            models.CheckConstraint(condition=~models.Q(from_ticket=models.F("to_ticket")), name="ticket_link_not_self"),
        ]
        indexes = [models.Index(fields=["to_ticket"], name="ticket_link_to")]

    def __str__(self) -> str:
        return f"#{self.from_ticket_id} {self.get_kind_display().lower()} #{self.to_ticket_id}"
