"""Mail coming in: the mailboxes we fetch from, every message as its raw bytes, and addresses that bounce.

Every door (IMAP/POP3 polling, the pipe command, the SMTP/LMTP listener, provider webhooks) first stores the raw
bytes as an `InboundMessage`; only then does the worker read it. A message is never lost: it ends processed,
ignored or quarantined, each with its reason.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.fields import EncryptedTextField


class Protocol(models.TextChoices):
    IMAP = "imap", "IMAP"
    POP3 = "pop3", "POP3"


class Security(models.TextChoices):
    TLS = "tls", "TLS (implicit, ports 993/995)"
    STARTTLS = "starttls", "STARTTLS"
    NONE = "none", "None (plain text: only on a trusted local network)"


class AfterFetch(models.TextChoices):
    MARK_SEEN = "seen", "Mark as seen"
    MOVE = "move", "Move to the processed folder"


class Mailbox(models.Model):
    """A mailbox the worker polls. The message is always stored before it is marked or moved; never deleted."""

    name = models.CharField(max_length=100, unique=True)
    address = models.EmailField(help_text="The address people write to; mail from it is never made a ticket.")
    protocol = models.CharField(max_length=8, choices=Protocol.choices, default=Protocol.IMAP)
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(help_text="993 for IMAP over TLS, 143 with STARTTLS; 995 / 110 for POP3.")
    security = models.CharField(max_length=16, choices=Security.choices, default=Security.TLS)
    username = models.CharField(max_length=255)
    password = EncryptedTextField(blank=True)
    folder = models.CharField(max_length=255, default="INBOX", help_text="IMAP only.")
    after_fetch = models.CharField(
        max_length=8, choices=AfterFetch.choices, default=AfterFetch.MARK_SEEN, help_text="IMAP only."
    )
    processed_folder = models.CharField(
        max_length=255, blank=True, default="Processed", help_text="IMAP only, when moving; created if missing."
    )
    poll_interval_seconds = models.PositiveIntegerField(default=60)
    category = models.ForeignKey("tickets.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    team = models.ForeignKey(
        "tickets.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Overrides the category's default team.",
    )
    is_active = models.BooleanField("active", default=True)

    # Polling bookkeeping, written only by the worker.
    next_poll_at = models.DateTimeField(default=timezone.now, editable=False)
    last_polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    uid_validity = models.BigIntegerField(null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(default=0, editable=False, help_text="The highest IMAP UID stored.")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "mailboxes"

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"


class Source(models.TextChoices):
    IMAP = "imap", "IMAP mailbox"
    POP3 = "pop3", "POP3 mailbox"
    PIPE = "pipe", "Pipe (manage.py ingest_email)"
    SMTP = "smtp", "SMTP/LMTP listener"
    WEBHOOK = "webhook", "Provider webhook"


class InboundStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored"
    QUARANTINED = "quarantined", "Quarantined"


class Reason(models.TextChoices):
    """Why a message was ignored or quarantined."""

    # Ignored: nothing is to be done with these.
    DUPLICATE = "duplicate", "Duplicate (a Message-ID already received)"
    OWN_MAIL = "own_mail", "Our own mail came back"
    AUTO_REPLY = "auto_reply", "Auto-reply"
    BOUNCE = "bounce", "Bounce"
    DISCARDED = "discarded", "Discarded by staff"
    # Quarantined: a person looks at these, then reprocesses or discards them.
    TOO_LARGE = "too_large", "Larger than the size limit"
    SENDER_LOOP = "sender_loop", "Too many mails from this sender (loop breaker)"
    UNVERIFIED_SENDER = "unverified_sender", "Unverified sender on a ticket"
    FORGED_STAFF = "forged_staff", "Staff address without a signed reply address"
    NO_SENDER = "no_sender", "No usable sender address"
    DEACTIVATED_SENDER = "deactivated_sender", "The sender's account is deactivated"
    FAILED = "failed", "Processing failed"


class InboundMessage(models.Model):
    """One message exactly as it arrived. `raw` is written first; the rest is what the worker made of it."""

    source = models.CharField(max_length=16, choices=Source.choices)
    source_id = models.CharField(
        max_length=255, blank=True, help_text="The door's own id (mailbox and IMAP UID, POP3 UIDL, provider id)."
    )
    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages")
    raw = models.BinaryField(editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    size = models.PositiveBigIntegerField(editable=False)
    message_id = models.CharField("Message-ID", max_length=998, blank=True, editable=False)  # lower-cased, to match
    message_id_as_sent = models.CharField(
        "Message-ID as sent",
        max_length=998,
        blank=True,
        editable=False,
        help_text="In its own case: our answers name it in In-Reply-To, which mail clients match exactly.",
    )
    from_address = models.CharField(max_length=320, blank=True, editable=False, db_index=True)
    subject = models.CharField(max_length=255, blank=True, editable=False)
    envelope_recipient = models.CharField(max_length=320, blank=True, editable=False)
    received_at = models.DateTimeField(default=timezone.now, editable=False)

    status = models.CharField(max_length=16, choices=InboundStatus.choices, default=InboundStatus.RECEIVED)
    reason = models.CharField(max_length=32, choices=Reason.choices, blank=True)
    detail = models.TextField(blank=True, help_text="What happened, in words (an error, the rule that matched).")
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_messages"
    )
    comment = models.OneToOneField(
        "tickets.Comment", null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_message"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who accepted, rejected, reprocessed or discarded it.",
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            # A message fetched twice by the same door is stored once...
            models.UniqueConstraint(
                fields=["source", "source_id"], condition=~Q(source_id=""), name="inbound_once_per_source_id"
            ),
            # ...and the same bytes arriving through two doors too.
            models.UniqueConstraint(fields=["message_id", "sha256"], name="inbound_once_per_message_id_and_hash"),
        ]
        indexes = [
            models.Index(fields=["message_id"], name="inbound_message_id"),
            models.Index(fields=["status", "received_at"], name="inbound_status_received"),
            models.Index(fields=["from_address", "received_at"], name="inbound_sender_received"),
        ]

    def __str__(self) -> str:
        return f"{self.subject or '(no subject)'} from {self.from_address or 'unknown'} ({self.pk})"


class InboundReading(models.Model):
    """What the worker read of a message, for the staff "full mail" page, which never reads the mail itself: a
    hostile mail takes seconds to read (a 25 MB one longer than the web server waits), which the worker spends
    under its time limits. Kept apart from the message so that reading and listing messages never loads it."""

    message = models.OneToOneField(InboundMessage, on_delete=models.CASCADE, primary_key=True, related_name="reading")
    read_at = models.DateTimeField(default=timezone.now)
    headers = models.JSONField(default=list, help_text="[name, value] pairs of the headers the page shows.")
    text = models.TextField(blank=True)
    html = models.TextField(blank=True, help_text="Sanitised by inbound.html.sanitize_html.")
    parts = models.JSONField(default=list, help_text="{filename, content_type, size, inline} of each part.")
    parts_unread_after = models.PositiveIntegerField(
        default=0, help_text="Read up to this part, of more (inbound.parsing.PartsUnreadDefect); 0: read whole."
    )

    def __str__(self) -> str:
        return f"Reading of {self.message_id}"


class BouncedAddress(models.Model):
    """An address our mail to bounced permanently. Cleared when its owner writes to us again."""

    email = models.EmailField(unique=True)
    bounce_count = models.PositiveIntegerField(default=0)
    first_bounced_at = models.DateTimeField(default=timezone.now)
    last_bounced_at = models.DateTimeField(default=timezone.now)
    last_status = models.CharField(max_length=32, blank=True, help_text="The DSN status, for example 5.1.1.")
    last_diagnostic = models.TextField(blank=True)

    class Meta:
        ordering = ["-last_bounced_at"]
        verbose_name_plural = "bounced addresses"

    def __str__(self) -> str:
        return self.email
