"""Saved views: a named set of ticket filters (the one condition language, `tickets.conditions`) and a sort.

A view belongs to the agent who made it; shared with a team, every member of the team sees it in their sidebar too.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from tickets.models import Team


class Sort(models.TextChoices):
    """The queue's orders. Each has the id as its last key, so a keyset cursor never skips or repeats a ticket."""

    NEWEST = "newest", "Newest first"
    OLDEST = "oldest", "Oldest first"
    UPDATED = "updated", "Recently updated"
    PRIORITY = "priority", "Priority, high to low"


class SavedView(models.Model):
    name = models.CharField(max_length=100)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        # The team's going takes nothing of its owner's: the view stays theirs, personal.
        on_delete=models.SET_NULL,
        related_name="shared_views",
        help_text="Shared with this team's members; empty for a personal view.",
    )
    conditions = models.JSONField(
        default=dict,
        blank=True,
        help_text='The ticket list filters, as in the API query string: {"status": "new,open", "assignee": "me"}.',
    )
    sort = models.CharField(max_length=16, choices=Sort.choices, default=Sort.NEWEST)
    position = models.PositiveIntegerField(default=0, help_text="The owner's order of their views.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["owner", "position", "id"]
        indexes = [models.Index(fields=["owner", "position"], name="savedview_owner_position")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from tickets.conditions import validate_conditions  # the filters read other apps' models

        try:
            validate_conditions(self.conditions)
        except ValidationError as error:
            raise ValidationError({"conditions": error.messages}) from error
