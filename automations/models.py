"""Automation rules (triggers on events, and time-based rules), their run log, and who is away.

A rule has conditions in the one condition language (the ticket filters, `tickets.conditions`) and actions
applied through the ticket services as the automation actor, with the rule named in the audit trail.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.template import Template, TemplateSyntaxError
from django.utils import timezone

from tickets.models import BODY_MAX_CHARS, Category, Priority, Status, Team, Ticket


class Trigger(models.TextChoices):
    TICKET_CREATED = "ticket_created", "Ticket created"
    TICKET_UPDATED = "ticket_updated", "Ticket updated (status, priority, assignee, team, category, tags, text)"
    REQUESTER_REPLIED = "requester_replied", "Requester replied"
    AGENT_REPLIED = "agent_replied", "Agent replied to the requester"
    SLA_WARNING = "sla_warning", "SLA target due soon"
    SLA_BREACHED = "sla_breached", "SLA target missed"
    TIME = "time", "Time-based: checked by the worker every few minutes"


# Time rules look back this far from now at most: a longer wait is no rule, and one reaching back past year 1 (two
# billion minutes, which the column holds) stopped every time rule of the worker's run with an OverflowError.
AFTER_MINUTES_MAX = 10 * 366 * 24 * 60


class TimeBase(models.TextChoices):
    STATUS = "status", "in its current status"
    CREATED = "created", "since it was opened"


class AssignMode(models.TextChoices):
    AGENT = "agent", "To the agent below"
    ROUND_ROBIN = "round_robin", "Round-robin among the team's available agents"
    LEAST_OPEN = "least_open", "To the team's available agent with the fewest open tickets"


class NotifyWho(models.TextChoices):
    REQUESTER = "requester", "The requester"
    ASSIGNEE = "assignee", "The assignee (or the team when unassigned)"
    TEAM = "team", "The team's agents"


class Rule(models.Model):
    name = models.CharField(max_length=100)
    is_active = models.BooleanField("active", default=True)
    position = models.PositiveIntegerField(default=0, help_text="Rules with the same trigger run in this order.")
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    conditions = models.JSONField(
        default=dict,
        blank=True,
        help_text='The ticket filters of the API list, for example {"priority": "urgent", "assignee": "none"}.',
    )
    # Time-based rules: "pending for 5 business days", "unassigned and urgent for 30 minutes since opened".
    after_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(AFTER_MINUTES_MAX, "At most %(limit_value)s minutes (ten years).")],
        help_text="Time rules: after this long…",
    )
    time_base = models.CharField(max_length=10, choices=TimeBase.choices, blank=True, help_text="…counted from.")
    business_hours = models.BooleanField(
        default=False, help_text="Time rules: count only the opening hours of the ticket's calendar."
    )
    # Actions, applied in this order.
    set_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    set_priority = models.PositiveSmallIntegerField(choices=Priority.choices, null=True, blank=True)
    set_team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    set_category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    add_tags = models.CharField(max_length=200, blank=True, help_text="Comma-separated tags to add.")
    assign = models.CharField(max_length=16, choices=AssignMode.choices, blank=True)
    assign_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        limit_choices_to={"role__in": ["admin", "agent"]},
    )
    internal_note = models.TextField(
        blank=True, max_length=BODY_MAX_CHARS, help_text="Added as an internal note (Markdown)."
    )
    notify = models.CharField(max_length=16, choices=NotifyWho.choices, blank=True)
    notification_subject = models.CharField(max_length=200, blank=True)
    notification_body = models.TextField(
        blank=True,
        help_text="A template: {{ ticket.subject }}, {{ ticket.pk }}, {{ ticket.requester.display_name }}, "
        "{{ ticket.get_status_display }}, {{ url }} (the ticket's page for the recipient).",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["trigger", "position", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from tickets.conditions import validate_conditions  # the filters read other apps' models

        problems: dict[str, list[str]] = {}
        try:
            validate_conditions(self.conditions, refused=["q"])
        except ValidationError as error:
            problems["conditions"] = error.messages
        if self.trigger == Trigger.TIME and (self.after_minutes is None or not self.time_base):
            problems["after_minutes"] = ["A time-based rule needs a duration and what it counts from."]
        if self.assign == AssignMode.AGENT:
            if self.assign_to is None:
                problems["assign_to"] = ["Choose the agent."]
            elif not self.assign_to.is_agent_or_admin:
                # As ticket_update and macros refuse it; stored, the rule would fail on every ticket it matches.
                problems["assign_to"] = ["Tickets can only be assigned to agents."]
        if self.notify:
            if not self.notification_body.strip():
                problems["notification_body"] = ["Write the message to send."]
            elif problem := _template_syntax_problem(self.notification_body):
                problems["notification_body"] = [problem]
        if problems:
            raise ValidationError(problems)

    @property
    def has_field_actions(self) -> bool:
        return bool(
            self.set_status
            or self.set_priority is not None
            or self.set_team_id
            or self.set_category_id
            or self.add_tags.strip()
            or self.assign
        )


def _template_syntax_problem(text: str) -> str | None:
    """Why the message template cannot be compiled, checked when the rule is saved rather than when it runs."""
    try:
        Template(text)
    except TemplateSyntaxError as error:
        return f"The template has an error: {error}"
    return None


class Outcome(models.TextChoices):
    FIRED = "fired", "Fired"
    NOT_MATCHED = "not_matched", "Conditions not met"
    NO_CHANGE = "no_change", "Nothing to change"
    LOOP = "loop", "Skipped: set off by itself"
    DEPTH = "depth", "Skipped: chain too long"
    FAILED = "failed", "Failed"


class RuleRun(models.Model):
    """The run log: why a rule fired or did not, per ticket and per rule."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="runs")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="rule_runs")
    event = models.ForeignKey("events.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["rule", "-created_at"], name="rule_run_rule"),
            models.Index(fields=["ticket", "-created_at"], name="rule_run_ticket"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} on #{self.ticket_id}: {self.get_outcome_display()}"


class TimeRuleFiring(models.Model):
    """A time rule fired for a ticket in one condition episode (starting at `episode_start`): never again for it."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="firings")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    episode_start = models.DateTimeField()
    fired_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "ticket", "episode_start"], name="time_rule_once_per_episode")
        ]

    def __str__(self) -> str:
        return f"{self.rule} on #{self.ticket_id} ({self.episode_start:%Y-%m-%d %H:%M})"


class Availability(models.Model):
    """An agent away (holiday, sick, off shift): round-robin and least-open assignment skip them."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="availability"
    )
    is_away = models.BooleanField("away", default=False)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "availability"

    def __str__(self) -> str:
        return f"{self.user}: {'away' if self.is_away else 'available'}"


class TeamRotation(models.Model):
    """Where round-robin assignment stands in a team: the agent who got the last ticket."""

    team = models.OneToOneField(Team, primary_key=True, on_delete=models.CASCADE, related_name="rotation")
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Rotation of {self.team}"
