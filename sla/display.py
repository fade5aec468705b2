"""How a ticket's promises read on a page: the one to watch, in words ("first response due in 1h 20m")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from django.utils import timezone

from helpdesk.time_zones import zone_or_default
from sla.models import SlaClock


def short_duration(amount: timedelta) -> str:
    """`2d 3h`, `1h 20m`, `5m`: two units at most, rounded down; under a minute is `<1m`."""
    minutes = int(amount.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days}d"] if days else []
    if hours:
        parts.append(f"{hours}h")
    if minutes and not days:
        parts.append(f"{minutes}m")
    return " ".join(parts[:2]) or "<1m"


@dataclass(frozen=True)
class Due:
    clock: SlaClock
    text: str
    state: str  # "breached", "due-soon", "on-track" or "paused": a CSS class suffix
    due_local: datetime | None  # the due time in the calendar's own time zone

    @property
    def due_local_text(self) -> str:
        """ "Mon 30 Mar, 12:30 CEST": in the calendar's zone (a template's date filter would show UTC)."""
        moment = self.due_local
        return f"{moment:%a} {moment.day} {moment:%b, %H:%M %Z}" if moment else ""


def clock_time_zone(clock: SlaClock) -> tzinfo:
    """The zone a clock's times are told in: its calendar's, whose opening hours it counts; for a clock counting
    around the clock, the active one: the viewer's on a page (UserTimeZoneMiddleware), the recipient's in a mail."""
    # A calendar's zone the tz database has since dropped: the site's, which its hours are counted in (schedule_of).
    return zone_or_default(clock.calendar.time_zone) if clock.calendar else timezone.get_current_timezone()


def next_due(clocks: list[SlaClock], now: datetime | None = None) -> Due | None:
    """The promise to watch: a missed one first, then the soonest due, then a paused one."""
    now = now or timezone.now()
    with_target = [clock for clock in clocks if clock.target_minutes is not None]
    if not with_target:
        return None
    clock = min(with_target, key=lambda c: (not c.is_breached, c.due_at is None, c.due_at or now, c.pk or 0))
    name = clock.get_metric_display()
    due_local = timezone.localtime(clock.due_at, clock_time_zone(clock)) if clock.due_at else None
    if clock.due_at is None:
        left = max(clock.target - clock.elapsed, timedelta(0))
        return Due(clock, f"{name} paused, {short_duration(left)} left", "paused", None)
    if clock.is_breached:
        # When it was missed, not the due time now: a relaxed target moves due_at later than the breach.
        missed_at = clock.breached_at or clock.due_at
        return Due(clock, f"{name} overdue by {short_duration(now - missed_at)}", "breached", due_local)
    soon = clock.warn_at is not None and clock.warn_at <= now
    return Due(
        clock, f"{name} due in {short_duration(clock.due_at - now)}", "due-soon" if soon else "on-track", due_local
    )
