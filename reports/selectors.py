"""The dashboard's figures, read from the precomputed metrics and rollups (never from the tickets' history).

One call, `dashboard(...)`, answers the page, its CSV tables and the API alike, so they cannot disagree. A period
is a range of whole days in the reports' time zone; the previous period is as long and ends the day before.

Definitions (also in the README):
- first response time: of the tickets created in the period that have one, in business minutes;
- resolution time: of the tickets solved (resolved, or closed without resolving) in the period, in business minutes
  from creation to the last resolution;
- median and 90th percentile interpolate linearly between ranks (PostgreSQL's percentile_cont): of n sorted values
  the p-th lies at rank (n - 1) * p, counted from 0;
- SLA breach rate: of the tickets created in the period that had an SLA target, the share with one missed;
- CSAT score: of the tickets solved in the period whose requester rated them, the share rated good;
- reopen rate: of the tickets solved in the period, the share reopened at least once.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Case, Count, FloatField, Q, QuerySet, Sum, Value, When
from django.db.models import CharField as CharFieldType

from accounts.models import User
from csat.models import Rating
from reports.models import OPEN_STATUS_VALUES, AgentDailyRollup, DailyRollup, TicketMetrics
from reports.services import day_start
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


class PercentileCont(Aggregate):
    """PostgreSQL's percentile_cont: the same linear interpolation as `percentile` below."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: str, percentile: float, **extra: Any) -> None:
        super().__init__(expression, percentile=percentile, **extra)


def percentile(sorted_values: Sequence[float], p: float) -> float | None:
    """The p-th quantile (0..1) of sorted values, interpolating linearly between ranks; None of no values."""
    if not sorted_values:
        return None
    rank = (len(sorted_values) - 1) * p
    low = math.floor(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (rank - low) * (sorted_values[high] - sorted_values[low])


def _metrics(filters: ReportFilters) -> QuerySet[TicketMetrics]:
    queryset = TicketMetrics.objects.all()
    if filters.team_id is not None:
        queryset = queryset.filter(team_id=filters.team_id)
    if filters.category_id is not None:
        queryset = queryset.filter(category_id=filters.category_id)
    if filters.agent_id is not None:
        queryset = queryset.filter(assignee_id=filters.agent_id)
    return queryset


def _period_of(moment: str, filters: ReportFilters) -> Case:
    return Case(
        When(**{f"{moment}__gte": day_start(filters.start)}, then=Value(CURRENT)),
        default=Value(PREVIOUS),
        output_field=CharFieldType(),
    )


def _both_periods(queryset: QuerySet, moment: str, filters: ReportFilters) -> QuerySet:
    """The rows whose `moment` falls in the previous or the current period, each marked with its period."""
    return queryset.filter(
        **{
            f"{moment}__gte": day_start(filters.previous_start),
            f"{moment}__lt": day_start(filters.end + timedelta(days=1)),
        }
    ).annotate(period=_period_of(moment, filters))


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _compared(current: Any, previous: Any) -> dict[str, Any]:
    change = None
    if isinstance(current, int | float) and isinstance(previous, int | float):
        change = round(current - previous, 1)
    return {"value": current, "previous": previous, "change": change}


def _durations(queryset: QuerySet, field: str) -> dict[str, dict[str, Any]]:
    """Median and 90th percentile of `field` per period, in business minutes."""
    queryset = queryset.filter(**{f"{field}__isnull": False})
    result = {period: {"count": 0, "median": None, "p90": None} for period in (CURRENT, PREVIOUS)}
    if connection.vendor == "postgresql":
        rows = queryset.values("period").annotate(
            count=Count("pk"), median=PercentileCont(field, 0.5), p90=PercentileCont(field, 0.9)
        )
        for row in rows.order_by():
            result[row["period"]] = {"count": row["count"], "median": row["median"], "p90": row["p90"]}
    else:
        values: dict[str, list[int]] = defaultdict(list)
        for period, minutes in queryset.values_list("period", field).order_by(field):
            values[period].append(minutes)
        for period, sorted_values in values.items():
            result[period] = {
                "count": len(sorted_values),
                "median": percentile(sorted_values, 0.5),
                "p90": percentile(sorted_values, 0.9),
            }
    for figures in result.values():
        for key in ("median", "p90"):
            if figures[key] is not None:
                figures[key] = round(figures[key], 1)
    return result


def _daily(filters: ReportFilters) -> dict[date, dict[str, int]]:
    rollups = DailyRollup.objects.filter(day__gte=filters.previous_start, day__lte=filters.end)
    if filters.team_id is not None:
        rollups = rollups.filter(team_id=filters.team_id)
    if filters.category_id is not None:
        rollups = rollups.filter(category_id=filters.category_id)
    if filters.agent_id is not None:
        rollups = rollups.filter(assignee_id=filters.agent_id)
    rows = rollups.values("day").annotate(
        created=Sum("created"), solved=Sum("solved"), backlog=Sum("backlog"), replies=Sum("replies")
    )
    by_day = {row["day"]: row for row in rows.order_by()}
    series = {}
    day = filters.previous_start
    while day <= filters.end:
        row = by_day.get(day, {})
        series[day] = {key: row.get(key) or 0 for key in ("created", "solved", "backlog", "replies")}
        day += timedelta(days=1)
    return series


def _open_now(filters: ReportFilters) -> dict[str, list[dict[str, Any]]]:
    rows = (
        _metrics(filters)
        .filter(status__in=OPEN_STATUS_VALUES)
        .values("status", "priority", "team_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_status: dict[str, int] = defaultdict(int)
    by_priority: dict[int, int] = defaultdict(int)
    by_team: dict[int | None, int] = defaultdict(int)
    for row in rows:
        by_status[row["status"]] += row["n"]
        by_priority[row["priority"]] += row["n"]
        by_team[row["team_id"]] += row["n"]
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


def _created_figures(filters: ReportFilters) -> dict[str, Any]:
    created = _both_periods(_metrics(filters), "created_at", filters)
    rows = created.values("period", "channel").annotate(
        n=Count("pk"),
        tracked=Count("pk", filter=Q(sla_breached__isnull=False)),
        breached=Count("pk", filter=Q(sla_breached=True)),
    )
    channels: dict[str, dict[str, int]] = {period: defaultdict(int) for period in (CURRENT, PREVIOUS)}
    sla = {period: {"tracked": 0, "breached": 0} for period in (CURRENT, PREVIOUS)}
    for row in rows.order_by():
        channels[row["period"]][row["channel"]] += row["n"]
        sla[row["period"]]["tracked"] += row["tracked"]
        sla[row["period"]]["breached"] += row["breached"]
    first_response = _durations(created, "first_response_minutes")
    return {
        "by_channel": [
            {
                "channel": channel.value,
                "label": channel.label,
                "count": channels[CURRENT].get(channel.value, 0),
                "previous": channels[PREVIOUS].get(channel.value, 0),
            }
            for channel in Channel
        ],
        "sla_breach_rate": {
            **_compared(
                _rate(sla[CURRENT]["breached"], sla[CURRENT]["tracked"]),
                _rate(sla[PREVIOUS]["breached"], sla[PREVIOUS]["tracked"]),
            ),
            "tracked": sla[CURRENT]["tracked"],
            "breached": sla[CURRENT]["breached"],
        },
        "first_response": first_response,
    }


def _solved_figures(filters: ReportFilters) -> dict[str, Any]:
    solved = _both_periods(_metrics(filters), "solved_at", filters)
    rows = solved.values("period").annotate(
        solved=Count("pk"),
        reopened=Count("pk", filter=Q(reopen_count__gt=0)),
        rated=Count("pk", filter=~Q(csat_rating="")),
        good=Count("pk", filter=Q(csat_rating=Rating.GOOD)),
    )
    figures = {period: {"solved": 0, "reopened": 0, "rated": 0, "good": 0} for period in (CURRENT, PREVIOUS)}
    for row in rows.order_by():
        figures[row["period"]] = row
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
        "resolution": _durations(solved, "resolution_minutes"),
    }


def _agents(filters: ReportFilters) -> list[dict[str, Any]]:
    open_rows = (
        _metrics(filters)
        .filter(status__in=OPEN_STATUS_VALUES, assignee__isnull=False)
        .values("assignee_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    assigned = {row["assignee_id"]: row["n"] for row in open_rows}
    activity = AgentDailyRollup.objects.filter(day__gte=filters.start, day__lte=filters.end)
    if filters.team_id is not None:
        activity = activity.filter(team_id=filters.team_id)
    if filters.category_id is not None:
        activity = activity.filter(category_id=filters.category_id)
    if filters.agent_id is not None:
        activity = activity.filter(agent_id=filters.agent_id)
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
    daily = _daily(filters)
    current_days = [day for day in daily if day >= filters.start]
    previous_days = [day for day in daily if day < filters.start]
    created = _created_figures(filters)
    solved = _solved_figures(filters)

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
        **_open_now(filters),
        "first_response": _duration_summary(created["first_response"]),
        "resolution": _duration_summary(solved["resolution"]),
        "sla_breach_rate": created["sla_breach_rate"],
        "csat_score": solved["csat_score"],
        "reopen_rate": solved["reopen_rate"],
        "by_channel": created["by_channel"],
        "agents": _agents(filters),
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
