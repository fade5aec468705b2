"""What the reports read instead of history: one row of figures per ticket, and rollups per day.

`TicketMetrics` is recomputed from the ticket's own data whenever something happens to it (reports/handlers.py),
so computing it twice changes nothing; the same place keeps `OpenTicketCount` (the open tickets now, by status,
priority, team, category and assignee) in step. `DailyRollup`, `AgentDailyRollup` and `DurationRollup` are
recomputed per day by the worker (the `reports.rollup` beat task) and by `manage.py reports_backfill`; the dashboard
sums at most a range of days, so what it reads does not grow with the number of tickets.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from tickets.models import Category, Channel, Priority, Status, Team, Ticket

OPEN_STATUS_VALUES = [Status.NEW, Status.OPEN, Status.PENDING]


class TicketMetrics(models.Model):
    ticket = models.OneToOneField(Ticket, primary_key=True, on_delete=models.CASCADE, related_name="metrics")
    created_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_response_at = models.DateTimeField(null=True, blank=True, help_text="Staff's first public reply.")
    solved_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was last resolved (or closed); empty while it is open."
    )
    solved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who resolved (or closed) it last.",
    )
    reopen_count = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0, help_text="Staff's public replies.")
    first_response_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Business minutes from creation to the first response."
    )
    resolution_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Business minutes from creation to the last resolution."
    )
    sla_breached = models.BooleanField(
        null=True, blank=True, help_text="Whether any SLA target was missed; empty: no target was ever set."
    )
    csat_rating = models.CharField(max_length=8, blank=True, help_text="The latest satisfaction rating given.")
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "ticket metrics"
        indexes = [
            models.Index(fields=["created_at"], name="reports_metrics_created"),
            models.Index(fields=["solved_at"], name="reports_metrics_solved"),
            # The open snapshot (by status, priority, team, assignee) reads only the open tickets.
            models.Index(
                fields=["status", "team", "assignee"],
                condition=Q(status__in=OPEN_STATUS_VALUES),
                name="reports_metrics_open",
            ),
        ]

    def __str__(self) -> str:
        return f"Metrics of #{self.ticket_id}"


class DailyRollup(models.Model):
    """One day of one team and category (and assignee, for the agent filter), in the reports' time zone."""

    day = models.DateField()
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created = models.PositiveIntegerField(default=0)
    solved = models.PositiveIntegerField(default=0)
    backlog = models.PositiveIntegerField(default=0, help_text="Open at the end of the day.")
    replies = models.PositiveIntegerField(default=0, help_text="Staff's public replies on these tickets that day.")
    # Of the tickets created that day: by channel (one column per Channel), and those with an SLA target, missed.
    created_web = models.PositiveIntegerField(default=0)
    created_form = models.PositiveIntegerField(default=0)
    created_email = models.PositiveIntegerField(default=0)
    created_api = models.PositiveIntegerField(default=0)
    created_staff = models.PositiveIntegerField(default=0)
    sla_tracked = models.PositiveIntegerField(default=0)
    sla_breached = models.PositiveIntegerField(default=0)
    # Of the tickets solved that day: reopened at least once, rated, rated good.
    reopened = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    rated_good = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="reports_rollup_day")]

    def __str__(self) -> str:
        return f"{self.day} team={self.team_id} category={self.category_id} assignee={self.assignee_id}"


class AgentDailyRollup(models.Model):
    """One agent's day: public replies written and tickets solved, by the tickets' team and category."""

    day = models.DateField()
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    replies = models.PositiveIntegerField(default=0)
    solved = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="reports_agent_rollup_day")]

    def __str__(self) -> str:
        return f"{self.day} agent={self.agent_id}"


class Duration(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response (by the day the ticket came in)"
    RESOLUTION = "resolution", "Resolution (by the day the ticket was solved)"


class DurationRollup(models.Model):
    """How many tickets of a day took exactly `minutes` business minutes: the day's distribution, from which the
    median and the 90th percentile of any range of days are exact while reading at most a row per distinct value
    and day, however many tickets there are (business minutes are whole numbers)."""

    day = models.DateField()
    duration = models.CharField(max_length=16, choices=Duration.choices)
    minutes = models.PositiveIntegerField()
    tickets = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["duration", "day"], name="reports_duration_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.duration} {self.minutes} min: {self.tickets}"


class OpenTicketCount(models.Model):
    """How many tickets are open now with these status, priority, team, category and assignee.

    Kept by `ticket_metrics_update` (one less under the old figures, one more under the new) and recounted from the
    metrics by every `reports.rollup` run and by the backfill (which also drops what a deleted ticket left)."""

    status = models.CharField(max_length=16, choices=Status.choices)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    tickets = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.status} p{self.priority} team={self.team_id} category={self.category_id}: {self.tickets}"


class StaleRollupDay(models.Model):
    """A past day whose rollups no longer match the metrics (a ticket solved then was reopened, or moved to another
    team): the next `reports.rollup` run rebuilds from the earliest such day."""

    day = models.DateField(unique=True)

    def __str__(self) -> str:
        return str(self.day)
