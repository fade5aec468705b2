"""Macros (canned responses): a reply text with placeholders, plus optional changes to the ticket."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.db.models.deletion import Collector
from django.utils import timezone

from tickets.models import BODY_MAX_CHARS, Priority, Status, Team


class MacroVisibility(models.TextChoices):
    PERSONAL = "personal", "Only me"
    TEAM = "team", "A team"
    EVERYONE = "everyone", "All staff"


def SET_PERSONAL(collector: Collector, field: models.Field, sub_objs: QuerySet[Macro], using: str) -> None:
    """on_delete of a macro's shared team: the macro stays its owner's, personal, as a view shared with a deleted team
    does (its text and actions are its owner's work, not the team's)."""
    collector.add_field_update(field, None, sub_objs)
    collector.add_field_update(field.model._meta.get_field("visibility"), MacroVisibility.PERSONAL, sub_objs)


class Macro(models.Model):
    name = models.CharField(max_length=100)
    body = models.TextField(
        blank=True,
        max_length=BODY_MAX_CHARS,
        help_text="The reply. Placeholders: {{ requester.name }}, {{ requester.first_name }}, {{ requester.email }}, "
        "{{ ticket.id }}, {{ ticket.subject }}, {{ ticket.status }}, {{ ticket.priority }}, {{ agent.name }}, "
        "{{ agent.first_name }}, {{ agent.email }}.",
    )
    internal = models.BooleanField(
        "post as internal note", default=False, help_text="The text goes in as a note only staff see."
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="macros")
    visibility = models.CharField(max_length=16, choices=MacroVisibility.choices, default=MacroVisibility.PERSONAL)
    shared_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=SET_PERSONAL,
        related_name="macros",
        help_text="With “A team”: the team whose members may use it.",
    )
    # Actions, applied through tickets.services when the macro is used.
    set_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    set_priority = models.PositiveSmallIntegerField(choices=Priority.choices, null=True, blank=True)
    add_tags = models.CharField(max_length=200, blank=True, help_text="Comma-separated tags to add.")
    set_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        limit_choices_to={"role__in": ["admin", "agent"]},
    )
    assign_to_me = models.BooleanField(
        "assign to the agent using it", default=False, help_text="Takes precedence over a chosen assignee."
    )
    set_team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["visibility", "name"], name="macro_visibility_name")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from macros.placeholders import unknown_placeholders

        errors: dict[str, str] = {}
        if self.visibility == MacroVisibility.TEAM and self.shared_team_id is None:
            errors["shared_team"] = "Choose the team to share it with."
        unknown = unknown_placeholders(self.body)
        if unknown:
            errors["body"] = f"Unknown placeholder: {', '.join(unknown)}."
        if not self.body.strip() and not self.has_actions:
            errors["body"] = "Give the macro a text, an action, or both."
        if errors:
            raise ValidationError(errors)

    @property
    def has_actions(self) -> bool:
        return bool(
            self.set_status
            or self.set_priority is not None
            or self.add_tags.strip()
            or self.set_assignee_id
            or self.assign_to_me
            or self.set_team_id
        )
