"""Business calendars, SLA policies with their targets, and the clocks that run on each ticket.

A clock (`SlaClock`) is one promise on one ticket: a first response, a next response after a requester's reply,
or the resolution. Its due time is stored and indexed, so the queue, the filters and the periodic sweep read it
instead of computing it. `sla.services.sla_clocks_update` is the one place clocks start, pause, resume and stop.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import holidays
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from helpdesk.time_zones import validate_time_zone
from tickets.models import Priority, Team, Ticket


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class BusinessCalendar(models.Model):
    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    holiday_country = models.CharField(
        max_length=8,
        blank=True,
        help_text="Close on this country's public holidays (ISO code such as DE, US, GB), from the holidays package.",
    )
    holiday_region = models.CharField(
        max_length=16, blank=True, help_text="Also the holidays of this state or region (for example BY or CA)."
    )
    is_default = models.BooleanField(
        "default", default=False, help_text="Used for tickets whose team has no calendar of its own."
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="sla_one_default_calendar"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not self.holiday_country:
            if self.holiday_region:
                raise ValidationError({"holiday_region": "Choose the country first."})
            return
        supported = holidays.list_supported_countries()
        if self.holiday_country not in supported:
            raise ValidationError({"holiday_country": f"No public holidays are known for “{self.holiday_country}”."})
        if self.holiday_region and self.holiday_region not in supported[self.holiday_country]:
            regions = ", ".join(supported[self.holiday_country]) or "none"
            raise ValidationError({"holiday_region": f"Regions of {self.holiday_country}: {regions}."})


MIDNIGHT_HELP = "00:00 means midnight at the end of the day."


class OpeningHours(models.Model):
    """One open range on a weekday; a day may have several (a lunch break between two)."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField(help_text=MIDNIGHT_HELP)

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name_plural = "opening hours"

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"

    def clean(self) -> None:
        if (
            self.opens is not None
            and self.closes is not None
            and minute_of(self.closes, end=True) <= minute_of(self.opens)
        ):
            raise ValidationError({"closes": "Closing time must be after opening time."})


def minute_of(moment: object, *, end: bool = False) -> int:
    """Minutes after midnight of a TimeField value; a closing time of 00:00 is the end of the day."""
    minute = moment.hour * 60 + moment.minute  # type: ignore[attr-defined]
    return 24 * 60 if end and minute == 0 else minute


class SpecialDay(models.Model):
    """A date that does not follow the weekly hours: closed all day, or open only for some hours (a half day)."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="special_days")
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True)
    opens = models.TimeField(null=True, blank=True, help_text="Empty: closed all day.")
    closes = models.TimeField(null=True, blank=True, help_text=MIDNIGHT_HELP)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="sla_special_day_once")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()

    def clean(self) -> None:
        if (self.opens is None) != (self.closes is None):
            raise ValidationError("Give both opening and closing times for a half day, or neither to close the day.")
        if self.opens is not None and minute_of(self.closes, end=True) <= minute_of(self.opens):
            raise ValidationError({"closes": "Closing time must be after opening time."})


class TeamCalendar(models.Model):
    """A team working other hours than the default calendar's."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="business_calendar")
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="team_links")

    def __str__(self) -> str:
        return f"{self.team} works {self.calendar}"


class SlaPolicy(models.Model):
    """Which promises a ticket gets: the first active policy, in order, whose conditions the ticket meets."""

    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0, help_text="Policies are tried in this order; the first wins.")
    is_active = models.BooleanField("active", default=True)
    conditions = models.JSONField(
        default=dict,
        blank=True,
        help_text='The ticket filters of the API list, for example {"priority": "urgent", "team": "3"}. '
        "Empty: every ticket.",
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # The condition language is the ticket filters, one of which (`sla`) reads this app's clocks.
        from tickets.conditions import validate_conditions

        try:
            validate_conditions(self.conditions, refused=["sla", "q"])
        except ValidationError as error:
            raise ValidationError({"conditions": error.messages}) from error


class SlaTarget(models.Model):
    """A policy's promises for one priority, in minutes; empty means no promise of that kind."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    next_response_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="After each requester reply, once the first response was given."
    )
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True)
    business_hours = models.BooleanField(
        default=True,
        help_text="Count only the opening hours of the ticket team's calendar (or the default calendar). "
        "Off: count around the clock.",
    )

    class Meta:
        ordering = ["policy", "-priority"]
        constraints = [models.UniqueConstraint(fields=["policy", "priority"], name="sla_target_once_per_priority")]

    def __str__(self) -> str:
        return f"{self.policy}: {Priority(self.priority).label}"


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    NEXT_RESPONSE = "next_response", "Next response"
    RESOLUTION = "resolution", "Resolution"


class SlaClockQuerySet(models.QuerySet["SlaClock"]):
    def running(self) -> SlaClockQuerySet:
        """Not stopped: counting, or paused while the ticket is pending."""
        return self.filter(stopped_at__isnull=True)

    def breached(self) -> SlaClockQuerySet:
        return self.running().filter(Q(breached_at__isnull=False) | Q(due_at__lte=timezone.now()))

    def due_soon(self) -> SlaClockQuerySet:
        now = timezone.now()
        return self.running().filter(breached_at__isnull=True, warn_at__lte=now, due_at__gt=now)


class SlaClock(models.Model):
    """One promise on one ticket. Elapsed time is counted up to `counted_until`; while counting, the due time
    (and the warning time) follow from it. Stopped clocks stay as the record: met and breached, with times."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_clocks")
    metric = models.CharField(max_length=16, choices=Metric.choices)
    policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    calendar = models.ForeignKey(
        BusinessCalendar,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Whose opening hours count; empty: around the clock.",
    )
    target_minutes = models.PositiveIntegerField(null=True, blank=True)
    started_at = models.DateTimeField()
    elapsed = models.DurationField(default=timedelta(0), help_text="Time counted so far, up to counted_until.")
    counted_until = models.DateTimeField()
    paused = models.BooleanField(default=False, help_text="The ticket is pending: the clock does not count.")
    due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True, help_text="When the target was missed.")
    met_at = models.DateTimeField(null=True, blank=True, help_text="When the promise was kept (late or not).")
    stopped_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(
        null=True, blank=True, help_text="When the sweep must look at this clock next: its warning or its due time."
    )

    objects = SlaClockQuerySet.as_manager()

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "metric"], condition=Q(stopped_at__isnull=True), name="sla_one_running_clock"
            )
        ]
        indexes = [
            # The sweep reads only the clocks whose warning or due time has come.
            models.Index(fields=["next_check_at"], condition=Q(next_check_at__isnull=False), name="sla_clock_check"),
            # The queue's "Breached" and "Due soon" views, and the due time shown on each ticket.
            models.Index(fields=["due_at", "ticket"], condition=Q(stopped_at__isnull=True), name="sla_clock_due"),
            models.Index(fields=["ticket", "started_at"], name="sla_clock_ticket"),
            # Reports: breach rate over a period.
            models.Index(fields=["started_at", "metric"], name="sla_clock_started"),
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} on #{self.ticket_id}"

    @property
    def target(self) -> timedelta | None:
        return timedelta(minutes=self.target_minutes) if self.target_minutes is not None else None

    @property
    def is_breached(self) -> bool:
        return is_breached(self.breached_at, self.due_at, timezone.now())


def is_breached(breached_at: datetime | None, due_at: datetime | None, now: datetime) -> bool:
    """Whether a clock has missed its target: marked by the sweep, or past its due time (before the sweep saw it)."""
    return breached_at is not None or (due_at is not None and due_at <= now)


class EscalationKind(models.TextChoices):
    WARNING = "warning", "Due soon"
    BREACHED = "breached", "Breached"


class EscalationNoticeQuerySet(models.QuerySet["EscalationNotice"]):
    def unsent(self) -> EscalationNoticeQuerySet:
        """Still to be sent: neither sent nor given up."""
        return self.filter(sent_at__isnull=True, failed_at__isnull=True)


class EscalationNotice(models.Model):
    """A warning or breach mail owed to the assignee (or the team): kept until the calendar is open to send it.

    A notice whose sending raises is tried again with a mail's backoff, and given up (`failed_at`) after
    NOTIFICATION_MAX_ATTEMPTS, the reason kept in `last_error`."""

    clock = models.ForeignKey(SlaClock, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=16, choices=EscalationKind.choices)
    send_after = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0, help_text="Failed tries to send it.")
    last_error = models.TextField(blank=True)
    failed_at = models.DateTimeField(null=True, blank=True, help_text="Given up: every try to send it failed.")

    objects = EscalationNoticeQuerySet.as_manager()

    class Meta:
        ordering = ["send_after", "id"]
        constraints = [models.UniqueConstraint(fields=["clock", "kind"], name="sla_notice_once")]
        indexes = [
            models.Index(
                fields=["send_after"], condition=Q(sent_at__isnull=True, failed_at__isnull=True), name="sla_notice_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} notice for {self.clock}"


class SlaRefreshRequest(models.Model):
    """An admin's change to policies or calendars that the open tickets' clocks have not taken up yet.

    Written in the admin's transaction and deleted by the worker once it has refreshed every open ticket: a broker
    that is down at commit delays the refresh (`sla_sweep` queues it again), it never loses it. A refresh of many
    tickets takes several task runs: each saves how far it got, and the next goes on from there."""

    requested_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(
        default=timezone.now, help_text="When the worker was last asked to do it, or last reported progress."
    )
    resume_after = models.BigIntegerField(
        default=0, help_text="The last open ticket refreshed for it (by id): the next run goes on after it."
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Refresh of open tickets' clocks requested {self.requested_at:%Y-%m-%d %H:%M:%S}"
