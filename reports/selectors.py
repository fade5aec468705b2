"""The dashboard's figures, read from the precomputed metrics and rollups (never from the tickets' history).

What it reads does not grow with the tickets: the settled days of both periods are sums of their rollups (counts
and distributions of minutes, exact), the open tickets are read from their kept counts; only yesterday, today and
the days marked stale are read from the metrics, grouped by minutes (see `_live_days`).

One call, `dashboard(...)`, answers the page, its CSV tables and the API alike, so they cannot disagree. A period
is a range of whole days in the reports' time zone; the previous period is as long and ends the day before.

Definitions (also in the README):
- first response time: of the tickets created in the period that have one, in business minutes;
- resolution time: of the tickets solved (resolved, or closed without resolving) in the period, in business minutes
  from creation to the last resolution;
- median and 90th percentile interpolate linearly between ranks (as PostgreSQL's percentile_cont): of n sorted
  values the p-th lies at rank (n - 1) * p, counted from 0;
- SLA breach rate: of the tickets created in the period that had an SLA target, the share with one missed;
- CSAT score: of the tickets solved in the period whose requester rated them, the share rated good;
- reopen rate: of the tickets solved in the period, the share reopened at least once.
"""

from __future__ import annotations

import math
import operator
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import reduce
from typing import Any

from django.db.models import Case, Count, Q, QuerySet, Sum, Value, When
from django.db.models import CharField as CharFieldType
from django.utils import timezone

from accounts.models import User
from reports.models import (
    OPEN_STATUS_VALUES,
    AgentDailyRollup,
    DailyRollup,
    Duration,
    DurationRollup,
    OpenTicketCount,
    TicketMetrics,
)
from reports.services import CREATED_COUNTS, SOLVED_COUNTS, day_start, reports_time_zone, stale_days
from tickets.models import Channel, Priority, Status, Team

CURRENT, PREVIOUS = "current", "previous"


@dataclass(frozen=True)
class ReportFilters:
    start: date
    end: date  # included
    team_id: int | None = None
    category_id: int | None = None
    agent_id: int | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous_start(self) -> date:
        return self.start - timedelta(days=self.days)

    @property
    def previous_end(self) -> date:
        return self.start - timedelta(days=1)


def default_filters(today: date) -> ReportFilters:
    """The last 30 days, today included."""
    return ReportFilters(start=today - timedelta(days=29), end=today)


def percentile(sorted_values: Sequence[float], p: float) -> float | None:
    """The p-th quantile (0..1) of sorted values, interpolating linearly between ranks; None of no values."""
    return percentile_of_counts([(value, 1) for value in sorted_values], p)


def percentile_of_counts(counts: Sequence[tuple[float, int]], p: float) -> float | None:
    """The same quantile of values given as (value, how many) pairs sorted by value: reads the pairs, not the values
    one by one, so a distribution of a million tickets over a few thousand distinct minutes costs a few thousand."""
    total = sum(count for _, count in counts)
    if not total:
        return None
    rank = (total - 1) * p
    low = math.floor(rank)
    high = min(low + 1, total - 1)
    low_value = high_value = None
    seen = 0
    for value, count in counts:
        seen += count
        if low_value is None and low < seen:
            low_value = value
        if high < seen:
            high_value = value
            break
    assert low_value is not None and high_value is not None
    return low_value + (rank - low) * (high_value - low_value)


def _filtered(queryset: QuerySet, filters: ReportFilters, assignee: str = "assignee_id") -> QuerySet:
    if filters.team_id is not None:
        queryset = queryset.filter(team_id=filters.team_id)
    if filters.category_id is not None:
        queryset = queryset.filter(category_id=filters.category_id)
    if filters.agent_id is not None:
        queryset = queryset.filter(**{assignee: filters.agent_id})
    return queryset


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _compared(current: Any, previous: Any) -> dict[str, Any]:
    change = None
    if isinstance(current, int | float) and isinstance(previous, int | float):
        change = round(current - previous, 1)
    return {"value": current, "previous": previous, "change": change}


def _live_days(filters: ReportFilters) -> list[date]:
    """The days of both periods whose figures are read from the metrics rather than the rollups: yesterday and
    today (the beat task rolls them up again on each run, so their rollups may be minutes behind), and the days
    marked stale (a ticket of theirs changed since they were rolled up). Every day, with a filter: the first
    response and resolution distributions are rolled up for all tickets only."""
    if filters.team_id is not None or filters.category_id is not None or filters.agent_id is not None:
        return [filters.previous_start + timedelta(days=n) for n in range(2 * filters.days)]
    yesterday = timezone.localdate(timezone.now(), reports_time_zone()) - timedelta(days=1)
    days = stale_days(first_day=filters.previous_start, last_day=min(filters.end, yesterday - timedelta(days=1)))
    day = max(yesterday, filters.previous_start)
    while day <= filters.end:
        days.add(day)
        day += timedelta(days=1)
    return sorted(days)


def _in_days(moment: str, days: list[date]) -> Q:
    """`moment` falls on one of these days (sorted, at least one): a range per run of consecutive days."""
    ranges = []
    run_start = None
    for index, day in enumerate(days):
        run_start = run_start or day
        if index + 1 == len(days) or days[index + 1] != day + timedelta(days=1):
            next_day = day_start(day + timedelta(days=1))
            ranges.append(Q(**{f"{moment}__gte": day_start(run_start), f"{moment}__lt": next_day}))
            run_start = None
    return reduce(operator.or_, ranges)


# The period figures: name -> (what DailyRollup sums it in, which metrics it counts), of the tickets created in the
# period, and of those solved in it.
CREATED_FIGURES: dict[str, tuple[str, Q]] = {
    name: (field, CREATED_COUNTS[field])
    for name, field in (
        *((f"channel_{channel.value}", f"created_{channel.value}") for channel in Channel),
        ("tracked", "sla_tracked"),
        ("breached", "sla_breached"),
    )
}
SOLVED_FIGURES: dict[str, tuple[str, Q]] = {
    "solved": ("solved", Q()),
    **{
        name: (field, SOLVED_COUNTS[field])
        for name, field in (("reopened", "reopened"), ("rated", "rated"), ("good", "rated_good"))
    },
}
DAILY_FIELDS = ("created", "solved", "backlog", "replies")
ROLLUP_SUMS = (
    *DAILY_FIELDS,
    *(field for field, _ in CREATED_FIGURES.values()),
    *(field for field, _ in SOLVED_FIGURES.values() if field not in DAILY_FIELDS),
)


def _rollup_days(filters: ReportFilters) -> dict[date, dict[str, int]]:
    """Every day of both periods, with its rollups summed over the keys the filters keep."""
    rollups = _filtered(DailyRollup.objects.filter(day__gte=filters.previous_start, day__lte=filters.end), filters)
    rows = rollups.values("day").annotate(**{field: Sum(field) for field in ROLLUP_SUMS})
    by_day = {row["day"]: row for row in rows.order_by()}
    series = {}
    day = filters.previous_start
    while day <= filters.end:
        row = by_day.get(day, {})
        series[day] = {field: row.get(field) or 0 for field in ROLLUP_SUMS}
        day += timedelta(days=1)
    return series


def _period_of(moment: str, filters: ReportFilters) -> Case:
    return Case(
        When(**{f"{moment}__gte": day_start(filters.start)}, then=Value(CURRENT)),
        default=Value(PREVIOUS),
        output_field=CharFieldType(),
    )


def _period_figures(
    filters: ReportFilters,
    rollup_days: dict[date, dict[str, int]],
    live_days: list[date],
    duration: Duration,
    moment: str,
    field: str,
    figures: dict[str, tuple[str, Q]],
) -> dict[str, dict[str, Any]]:
    """Per period: each of `figures`, and the count, median and 90th percentile of `field` (business minutes), of
    the tickets whose `moment` falls in the period. The settled days are sums of their rollups and distributions;
    the live days are read from the metrics, grouped by minutes (a row per distinct value, not per ticket)."""
    live = set(live_days)
    result: dict[str, dict[str, Any]] = {period: dict.fromkeys(figures, 0) for period in (CURRENT, PREVIOUS)}
    distributions: dict[str, dict[int, int]] = {CURRENT: defaultdict(int), PREVIOUS: defaultdict(int)}
    for day, row in rollup_days.items():
        if day not in live:
            period = CURRENT if day >= filters.start else PREVIOUS
            for name, (rollup_field, _) in figures.items():
                result[period][name] += row[rollup_field]
    if len(live) < len(rollup_days):
        settled = (
            DurationRollup.objects.filter(duration=duration, day__gte=filters.previous_start, day__lte=filters.end)
            .exclude(day__in=live_days)
            .annotate(period=_period_of("day", filters))
            .values_list("period", "minutes")
            .annotate(tickets=Sum("tickets"))
            .order_by()
        )
        for period, minutes, tickets in settled:
            distributions[period][minutes] += tickets
    if live_days:
        aggregates = {"n": Count("pk")}
        aggregates |= {name: Count("pk", filter=condition) for name, (_, condition) in figures.items()}
        rows = (
            _filtered(TicketMetrics.objects.filter(_in_days(moment, live_days)), filters)
            .annotate(period=_period_of(moment, filters))
            .values("period", field)
            .annotate(**aggregates)
            .order_by()
        )
        for row in rows:
            for name in figures:
                result[row["period"]][name] += row[name]
            if row[field] is not None:
                distributions[row["period"]][row[field]] += row["n"]
    for period, counts in distributions.items():
        ordered = sorted(counts.items())
        result[period]["count"] = sum(counts.values())
        for key, p in (("median", 0.5), ("p90", 0.9)):
            value = percentile_of_counts(ordered, p)
            result[period][key] = None if value is None else round(value, 1)
    return result


def _open_counts(filters: ReportFilters) -> list[dict[str, Any]]:
    """The open tickets now, by status, priority, team and assignee, from the counts kept with the metrics."""
    rows = (
        _filtered(OpenTicketCount.objects.all(), filters)
        .values("status", "priority", "team_id", "assignee_id")
        .annotate(n=Sum("tickets"))
        .order_by()
    )
    return [row for row in rows if row["n"]]


def _open_now(open_counts: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    by_status: dict[str, int] = defaultdict(int)
    by_priority: dict[int, int] = defaultdict(int)
    by_team: dict[int | None, int] = defaultdict(int)
    for row in open_counts:
        by_status[row["status"]] += row["n"]
        by_priority[row["priority"]] += row["n"]
        by_team[row["team_id"]] += row["n"]
    by_team = {pk: count for pk, count in by_team.items() if count}
    team_names = dict(Team.objects.filter(pk__in=[pk for pk in by_team if pk]).values_list("pk", "name"))
    return {
        "open_by_status": [
            {"status": status.value, "label": status.label, "count": by_status.get(status.value, 0)}
            for status in Status
            if status.value in OPEN_STATUS_VALUES
        ],
        "open_by_priority": [
            {"priority": priority.label, "count": by_priority.get(priority.value, 0)}
            for priority in sorted(Priority, key=lambda member: -member.value)
        ],
        "open_by_team": sorted(
            (
                {"team_id": pk, "team": team_names.get(pk, "No team") if pk else "No team", "count": count}
                for pk, count in by_team.items()
            ),
            key=lambda row: (-row["count"], row["team"]),
        ),
    }


def _created_figures(
    filters: ReportFilters, rollup_days: dict[date, dict[str, int]], live_days: list[date]
) -> dict[str, Any]:
    figures = _period_figures(
        filters,
        rollup_days,
        live_days,
        Duration.FIRST_RESPONSE,
        "created_at",
        "first_response_minutes",
        CREATED_FIGURES,
    )
    current, previous = figures[CURRENT], figures[PREVIOUS]
    return {
        "by_channel": [
            {
                "channel": channel.value,
                "label": channel.label,
                "count": current[f"channel_{channel.value}"],
                "previous": previous[f"channel_{channel.value}"],
            }
            for channel in Channel
        ],
        "sla_breach_rate": {
            **_compared(
                _rate(current["breached"], current["tracked"]), _rate(previous["breached"], previous["tracked"])
            ),
            "tracked": current["tracked"],
            "breached": current["breached"],
        },
        "first_response": figures,
    }


def _solved_figures(
    filters: ReportFilters, rollup_days: dict[date, dict[str, int]], live_days: list[date]
) -> dict[str, Any]:
    figures = _period_figures(
        filters, rollup_days, live_days, Duration.RESOLUTION, "solved_at", "resolution_minutes", SOLVED_FIGURES
    )
    current, previous = figures[CURRENT], figures[PREVIOUS]
    return {
        "reopen_rate": {
            **_compared(_rate(current["reopened"], current["solved"]), _rate(previous["reopened"], previous["solved"])),
            "solved": current["solved"],
            "reopened": current["reopened"],
        },
        "csat_score": {
            **_compared(_rate(current["good"], current["rated"]), _rate(previous["good"], previous["rated"])),
            "rated": current["rated"],
            "good": current["good"],
        },
        "resolution": figures,
    }


def _agents(filters: ReportFilters, open_counts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    assigned: dict[int, int] = defaultdict(int)
    for row in open_counts:
        if row["assignee_id"] is not None:
            assigned[row["assignee_id"]] += row["n"]
    activity = _filtered(
        AgentDailyRollup.objects.filter(day__gte=filters.start, day__lte=filters.end), filters, assignee="agent_id"
    )
    done = {
        row["agent_id"]: row
        for row in activity.values("agent_id").annotate(replies=Sum("replies"), solved=Sum("solved")).order_by()
    }
    agents = User.objects.filter(pk__in=set(assigned) | set(done)).only("name", "email")
    names = {user.pk: user.display_name for user in agents}
    rows = [
        {
            "agent_id": pk,
            "agent": names.get(pk, ""),
            "assigned_open": assigned.get(pk, 0),
            "solved": (done.get(pk) or {}).get("solved") or 0,
            "replies": (done.get(pk) or {}).get("replies") or 0,
        }
        for pk in set(assigned) | set(done)
    ]
    return sorted(rows, key=lambda row: (-row["assigned_open"], -row["solved"], row["agent"]))


def _duration_summary(durations: dict[str, dict[str, Any]]) -> dict[str, Any]:
    current, previous = durations[CURRENT], durations[PREVIOUS]
    return {
        "count": current["count"],
        "median_minutes": _compared(current["median"], previous["median"]),
        "p90_minutes": _compared(current["p90"], previous["p90"]),
    }


def dashboard(filters: ReportFilters) -> dict[str, Any]:
    rollup_days = _rollup_days(filters)
    daily = {day: {field: row[field] for field in DAILY_FIELDS} for day, row in rollup_days.items()}
    current_days = [day for day in daily if day >= filters.start]
    previous_days = [day for day in daily if day < filters.start]
    live_days = _live_days(filters)
    created = _created_figures(filters, rollup_days, live_days)
    solved = _solved_figures(filters, rollup_days, live_days)
    open_counts = _open_counts(filters)

    def total(days: list[date], key: str) -> int:
        return sum(daily[day][key] for day in days)

    return {
        "period": {
            "start": filters.start,
            "end": filters.end,
            "previous_start": filters.previous_start,
            "previous_end": filters.previous_end,
        },
        "filters": {"team": filters.team_id, "category": filters.category_id, "agent": filters.agent_id},
        "totals": {
            "created": _compared(total(current_days, "created"), total(previous_days, "created")),
            "solved": _compared(total(current_days, "solved"), total(previous_days, "solved")),
            "replies": _compared(total(current_days, "replies"), total(previous_days, "replies")),
            "backlog_at_end": _compared(daily[filters.end]["backlog"], daily[filters.previous_end]["backlog"]),
        },
        "daily": [{"day": day, **daily[day]} for day in current_days],
        **_open_now(open_counts),
        "first_response": _duration_summary(created["first_response"]),
        "resolution": _duration_summary(solved["resolution"]),
        "sla_breach_rate": created["sla_breach_rate"],
        "csat_score": solved["csat_score"],
        "reopen_rate": solved["reopen_rate"],
        "by_channel": created["by_channel"],
        "agents": _agents(filters, open_counts),
    }


# The tables of the page, each downloadable as CSV: name -> (title, columns as (key, heading)).
TABLES: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "summary": (
        "Summary",
        [("figure", "Figure"), ("value", "This period"), ("previous", "Previous period"), ("change", "Change")],
    ),
    "daily": (
        "Created, solved and backlog per day",
        [
            ("day", "Day"),
            ("created", "Created"),
            ("solved", "Solved"),
            ("backlog", "Open at end of day"),
            ("replies", "Replies"),
        ],
    ),
    "open_by_status": ("Open now, by status", [("label", "Status"), ("count", "Open tickets")]),
    "open_by_priority": ("Open now, by priority", [("priority", "Priority"), ("count", "Open tickets")]),
    "open_by_team": ("Open now, by team", [("team", "Team"), ("count", "Open tickets")]),
    "by_channel": (
        "Created, by channel",
        [("label", "Channel"), ("count", "This period"), ("previous", "Previous period")],
    ),
    "agents": (
        "Agent load and activity",
        [("agent", "Agent"), ("assigned_open", "Assigned, open"), ("solved", "Solved"), ("replies", "Replies")],
    ),
}

SUMMARY_FIGURES = [
    ("Created", ("totals", "created")),
    ("Solved", ("totals", "solved")),
    ("Open at end of period", ("totals", "backlog_at_end")),
    ("Staff replies", ("totals", "replies")),
    ("First response, median (business minutes)", ("first_response", "median_minutes")),
    ("First response, 90th percentile (business minutes)", ("first_response", "p90_minutes")),
    ("Resolution, median (business minutes)", ("resolution", "median_minutes")),
    ("Resolution, 90th percentile (business minutes)", ("resolution", "p90_minutes")),
    ("SLA breach rate (%)", ("sla_breach_rate",)),
    ("CSAT score (% good)", ("csat_score",)),
    ("Reopen rate (%)", ("reopen_rate",)),
]


def table_rows(figures: dict[str, Any], name: str) -> list[dict[str, Any]]:
    if name != "summary":
        return figures[name]
    rows = []
    for label, path in SUMMARY_FIGURES:
        node: Any = figures
        for key in path:
            node = node[key]
        rows.append({"figure": label, "value": node["value"], "previous": node["previous"], "change": node["change"]})
    return rows


def filter_choices() -> dict[str, Any]:
    return {"teams": Team.objects.all(), "agents": User.objects.staff().order_by("name", "email")}
