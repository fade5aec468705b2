"""Satisfaction surveys: one per resolution of a ticket, rated good or bad by its requester, with a comment.

Kept queryable for reports: `resolved_at` (which resolution it asks about), `rating` and `rated_at`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tickets.models import Ticket


class Rating(models.TextChoices):
    GOOD = "good", "Good"
    BAD = "bad", "Bad"


class SatisfactionSurvey(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="surveys")
    resolved_at = models.DateTimeField(help_text="The resolution this survey asks about.")
    requested_at = models.DateTimeField(default=timezone.now)
    rating = models.CharField(max_length=8, choices=Rating.choices, blank=True)
    comment = models.TextField(blank=True)
    rated_at = models.DateTimeField(null=True, blank=True, help_text="When the rating was given, or last changed.")

    class Meta:
        ordering = ["-resolved_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["ticket", "resolved_at"], name="csat_one_per_resolution")]
        indexes = [
            models.Index(fields=["ticket", "-resolved_at"], name="csat_ticket"),
            models.Index(fields=["rated_at"], condition=~Q(rating=""), name="csat_rated"),
        ]

    def __str__(self) -> str:
        return f"Survey on #{self.ticket_id} ({self.rating or 'not rated'})"

    @property
    def open_until(self) -> datetime:
        return self.resolved_at + timedelta(days=settings.CSAT_CHANGE_DAYS)

    def is_open(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) < self.open_until
