"""Read queries of the SLA app: which policy and calendar a ticket has, and a calendar as a Schedule."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from helpdesk.sql import CompiledQuery, id_batches
from helpdesk.time_zones import zone_or_default
from sla.business_time import ALWAYS_OPEN, Schedule, merged
from sla.models import BusinessCalendar, SlaClock, SlaPolicy, SlaTarget, TeamCalendar, minute_of
from tickets.conditions import ticket_matches
from tickets.models import Ticket
from tickets.naming import Named, Naming, by_pk, conditions_naming, named_in_conditions


def schedule_of(calendar: BusinessCalendar | None) -> Schedule:
    """The calendar's opening hours as a Schedule; no calendar means around the clock."""
    if calendar is None:
        return ALWAYS_OPEN
    weekly: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    for hours in calendar.opening_hours.all():
        weekly[hours.weekday].append((minute_of(hours.opens), minute_of(hours.closes, end=True)))
    special = {
        day.date: ((minute_of(day.opens), minute_of(day.closes, end=True)),) if day.opens is not None else ()
        for day in calendar.special_days.all()
    }
    return Schedule(
        # The model's check let the name in while the tz database had it; one dropped since counts in the site's zone
        # (as a person's does) rather than failing every ticket's save and the worker's refresh.
        time_zone=zone_or_default(calendar.time_zone),
        weekly=tuple(merged(ranges) for ranges in weekly),
        special_days=special,
        holiday_country=calendar.holiday_country,
        holiday_region=calendar.holiday_region,
    )


class Schedules:
    """Schedules by calendar id, each built once: a sweep over many clocks reads each calendar once. `known`: a
    calendar already read with its hours (calendar_for's), so that it is not read again."""

    def __init__(self, known: BusinessCalendar | None = None) -> None:
        self._built: dict[int | None, Schedule] = {None: ALWAYS_OPEN}
        if known is not None:
            self._built[known.pk] = schedule_of(known)

    def of(self, calendar_id: int | None) -> Schedule:
        if calendar_id not in self._built:
            calendar = calendars_with_hours().filter(pk=calendar_id).first()
            self._built[calendar_id] = schedule_of(calendar)
        return self._built[calendar_id]


def calendars_with_hours() -> QuerySet[BusinessCalendar]:
    return BusinessCalendar.objects.prefetch_related("opening_hours", "special_days")


class TeamSchedules:
    """Each team's opening hours (its own calendar, else the default one, as calendar_for chooses), each calendar
    read once: for work over many tickets (the reports' metrics, the time rules' sweep)."""

    def __init__(self) -> None:
        self._by_team: dict[int | None, Schedule] = {}
        self._default: BusinessCalendar | None = calendars_with_hours().filter(is_default=True).first()

    def of(self, team_id: int | None) -> Schedule:
        if team_id not in self._by_team:
            link = None
            if team_id is not None:
                link = TeamCalendar.objects.filter(team_id=team_id).first()
            calendar = calendars_with_hours().get(pk=link.calendar_id) if link else self._default
            self._by_team[team_id] = schedule_of(calendar)
        return self._by_team[team_id]


def calendar_for(ticket: Ticket) -> BusinessCalendar | None:
    """The ticket's team's calendar, else the default one; None (around the clock) when there is neither. With its
    opening hours and special days (for schedule_of): one query for the calendar, one for each of those."""
    team_link = TeamCalendar.objects.filter(calendar=OuterRef("pk"), team_id=ticket.team_id)
    return (
        calendars_with_hours()
        .alias(of_team=Exists(team_link))
        .filter(Q(of_team=True) | Q(is_default=True))
        .order_by("-of_team")
        .first()
    )


def active_policies() -> QuerySet[SlaPolicy]:
    return SlaPolicy.objects.filter(is_active=True).prefetch_related("targets")


def policy_for(ticket: Ticket) -> SlaPolicy | None:
    """The first active policy, in order, whose conditions the ticket (as stored now) meets."""
    for policy in active_policies():
        if ticket_matches(policy.conditions, ticket):
            return policy
    return None


def target_for(policy: SlaPolicy | None, priority: int) -> SlaTarget | None:
    if policy is None:
        return None
    return next((target for target in policy.targets.all() if target.priority == priority), None)


def _running_clocks() -> QuerySet[SlaClock]:
    return SlaClock.objects.running().select_related("calendar").order_by("started_at", "id")


def running_clocks_prefetch(prefix: str = "") -> Prefetch:
    """Put each ticket's running clocks on `ticket.running_sla_clocks`, in one query for a whole page."""
    return Prefetch(f"{prefix}sla_clocks", queryset=_running_clocks(), to_attr="running_sla_clocks")


# Looked up by ticket: a handful of rows for any ids, so one plan serves every page (it is prepared).
_RUNNING_CLOCKS_OF = CompiledQuery(lambda *ticket_ids: _running_clocks().filter(ticket_id__in=ticket_ids))


def running_clocks_by_ticket(ticket_ids: Sequence[int]) -> dict[int, list[SlaClock]]:
    """The running clocks of a page's tickets (oldest first, with their calendars) by ticket id, as
    running_clocks_prefetch reads them: one query per 100 tickets, its SQL compiled once per process (the ORM took
    longer to compile it than the database to answer)."""
    clocks: dict[int, list[SlaClock]] = {}
    for batch in id_batches(ticket_ids):
        for clock in _RUNNING_CLOCKS_OF.objects(*batch):
            clocks.setdefault(clock.ticket_id, []).append(clock)
    return clocks


# What the API shows of a clock (sla.serializers.clock_data), by column.
CLOCK_API_COLUMNS = (
    "metric",
    "target_minutes",
    "started_at",
    "due_at",
    "warn_at",
    "paused",
    "breached_at",
    "met_at",
    "stopped_at",
    "policy_id",
)

_RUNNING_CLOCK_VALUES_OF = CompiledQuery(
    lambda *ticket_ids: (
        SlaClock.objects.running()
        .filter(ticket_id__in=ticket_ids)
        .order_by("started_at", "id")
        .values_list("ticket_id", *CLOCK_API_COLUMNS)
    )
)


def running_clock_values_by_ticket(ticket_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """running_clocks_by_ticket's clocks as plain values, only the columns the API shows (CLOCK_API_COLUMNS), for the
    API list, which writes them without an instance: building a page's clocks with their calendars took it longer
    than the query (bench/README.md, thirteenth session)."""
    clocks: dict[int, list[dict[str, Any]]] = {}
    for batch in id_batches(ticket_ids):
        for ticket_id, *values in _RUNNING_CLOCK_VALUES_OF.rows(*batch):
            clocks.setdefault(ticket_id, []).append(dict(zip(CLOCK_API_COLUMNS, values, strict=True)))
    return clocks


def sla_policies_naming(rows: Sequence[Named]) -> list[Naming]:
    """The SLA policies, active or not, whose conditions name one of `rows` (teams, agents or categories, all of one
    kind): with the row gone the policy would match no ticket, and its tickets get the next policy's promises."""
    if not rows:
        return []
    named = by_pk(rows)
    return [
        Naming(f"SLA policy “{policy.name}”", "has a condition on", condition)
        for policy in SlaPolicy.objects.filter(conditions_naming(rows)).order_by("position", "pk")
        if (condition := named_in_conditions(policy.conditions, named)) is not None
    ]
