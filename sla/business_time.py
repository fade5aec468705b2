"""Business time: when a calendar is open, adding open time to a moment, and measuring open time between two.

The one place that knows opening hours. `add_business_time` (due times) and `business_time_between` (time used
on a clock) both walk the same open intervals, so they cannot disagree: for any schedule, start and duration,
`business_time_between(s, start, add_business_time(s, start, d)) == d`. Opening hours are wall-clock times in the
calendar's own time zone; intervals are converted to UTC one by one, so a day with a DST change is as long as it
really is (an 00:00-24:00 day lasts 23 or 25 hours) and a range in a skipped hour is as short as it really is.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

MINUTES_PER_DAY = 24 * 60
# How far ahead to look for an opening: a schedule closed for longer than this is a misconfiguration, not a wait.
SEARCH_DAYS = 3 * 366

Ranges = tuple[tuple[int, int], ...]  # (opens, closes) in minutes after local midnight; closes may be 1440


class NeverOpen(Exception):
    """The schedule has no open time within SEARCH_DAYS of the moment asked about."""


@lru_cache(maxsize=256)
def _public_holidays(country: str, region: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=region or None, years=year))


def merged(ranges: list[tuple[int, int]]) -> Ranges:
    """Sorted, with overlapping or touching ranges joined, and empty ones dropped."""
    result: list[tuple[int, int]] = []
    for opens, closes in sorted(r for r in ranges if r[0] < r[1]):
        if result and opens <= result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], closes))
        else:
            result.append((opens, closes))
    return tuple(result)


@dataclass(frozen=True)
class Schedule:
    """When a calendar is open. `weekly[0]` is Monday. `special_days` override a date: () closes it all day
    (a custom holiday), other ranges replace its hours (a half day). Public holidays of `holiday_country` (and
    `holiday_region`) close the day unless a special day says otherwise."""

    time_zone: ZoneInfo
    weekly: tuple[Ranges, ...]
    special_days: Mapping[date, Ranges] = field(default_factory=dict)
    holiday_country: str = ""
    holiday_region: str = ""

    def ranges_on(self, day: date) -> Ranges:
        if day in self.special_days:
            return self.special_days[day]
        if self.holiday_country and day in _public_holidays(self.holiday_country, self.holiday_region, day.year):
            return ()
        return self.weekly[day.weekday()]

    @property
    def always_open(self) -> bool:
        """Open around the clock (24x7): the only schedule whose escalations may go out at any hour."""
        whole_day = ((0, MINUTES_PER_DAY),)
        return (
            all(day == whole_day for day in self.weekly)
            and not self.holiday_country
            and all(ranges == whole_day for ranges in self.special_days.values())
        )


ALWAYS_OPEN = Schedule(time_zone=ZoneInfo("UTC"), weekly=(((0, MINUTES_PER_DAY),),) * 7)


def _moment(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The UTC moment the wall clock of `zone` shows `minute` after the day's midnight. A time the clock skips
    (02:30 on the night summer time begins) has passed once the clock jumps: it is the moment of the jump."""
    local = datetime.combine(day, time()) + timedelta(minutes=minute)
    moment = local.replace(tzinfo=zone).astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) == local:
        return moment
    # In the gap: read with the offset after the change, it falls before the jump; with the one before, after it.
    return _offset_change(local.replace(tzinfo=zone, fold=1).astimezone(UTC), moment, zone)


def _offset_change(before: datetime, after: datetime, zone: ZoneInfo) -> datetime:
    """The first whole second from which `zone` has the offset it has at `after` (it has another at `before`)."""
    offset = after.astimezone(zone).utcoffset()
    low, high = int(before.timestamp()), int(after.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, UTC).astimezone(zone).utcoffset() == offset:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def open_intervals(
    schedule: Schedule, start: datetime, end: datetime | None = None
) -> Iterator[tuple[datetime, datetime]]:
    """The open intervals from `start` on (the first one clipped to it), in UTC, up to `end` or SEARCH_DAYS."""
    zone = schedule.time_zone
    day = start.astimezone(zone).date() - timedelta(days=1)  # a range of the day before may still be open
    last_day = (end.astimezone(zone).date() if end else day + timedelta(days=SEARCH_DAYS)) + timedelta(days=1)
    while day <= last_day:
        for opens, closes in schedule.ranges_on(day):
            interval_start, interval_end = _moment(day, opens, zone), _moment(day, closes, zone)
            if interval_end <= start or interval_end <= interval_start:
                continue
            yield max(interval_start, start), interval_end
        day += timedelta(days=1)


def add_business_time(schedule: Schedule, start: datetime, duration: timedelta) -> datetime:
    """The moment `duration` of open time after `start`. A zero duration is `start` itself."""
    remaining = duration
    if remaining <= timedelta(0):
        return start
    for opens, closes in open_intervals(schedule, start):
        if remaining <= closes - opens:
            return opens + remaining
        remaining -= closes - opens
    raise NeverOpen(f"no open time within {SEARCH_DAYS} days of {start.isoformat()}")


def business_time_between(schedule: Schedule, start: datetime, end: datetime) -> timedelta:
    """Open time from `start` to `end` (zero when `end` is not after `start`)."""
    total = timedelta(0)
    if end <= start:
        return total
    for opens, closes in open_intervals(schedule, start, end):
        if opens >= end:
            break
        total += min(closes, end) - opens
    return total


def next_open_moment(schedule: Schedule, moment: datetime) -> datetime:
    """`moment` itself when the schedule is open then, otherwise when it next opens."""
    for opens, _closes in open_intervals(schedule, moment):
        return opens
    raise NeverOpen(f"no open time within {SEARCH_DAYS} days of {moment.isoformat()}")
