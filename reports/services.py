"""Every write of the reports app: a ticket's metrics, recomputed from its data, and the daily rollups.

Both are derived data, recomputed from the source rows rather than incremented, so running either twice (an event
delivered twice, the beat task overlapping the backfill) leaves the same rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import STAFF_ROLES
from csat.models import SatisfactionSurvey
from reports.models import AgentDailyRollup, DailyRollup, TicketMetrics
from sla.business_time import Schedule, business_time_between
from sla.models import BusinessCalendar, SlaClock, TeamCalendar
from sla.selectors import calendars_with_hours, schedule_of
from tickets.models import OPEN_STATUSES, Comment, Status, Ticket, TicketEvent, TicketEventKind

SOLVED_STATUSES = (Status.RESOLVED, Status.CLOSED)
BACKFILL_BATCH = 1000


def reports_time_zone() -> ZoneInfo:
    """Days in the reports start at midnight here."""
    return ZoneInfo(settings.TIME_ZONE)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time()).replace(tzinfo=reports_time_zone())


class TeamSchedules:
    """Each team's opening hours (its own calendar, else the default one), each calendar read once."""

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


def _business_minutes(schedule: Schedule, start: datetime, end: datetime | None) -> int | None:
    if end is None:
        return None
    return int(business_time_between(schedule, start, end).total_seconds() // 60)


def public_staff_replies() -> QuerySet[Comment]:
    """Staff answering someone else in public: what counts as a response (as in tickets.services.comments)."""
    return Comment.objects.filter(internal=False, author__role__in=STAFF_ROLES).exclude(
        author_id=F("ticket__requester_id")
    )


def _solving(ticket: Ticket) -> tuple[datetime | None, int | None]:
    """When the ticket was last solved, and by whom; nothing while it is open."""
    if ticket.status not in SOLVED_STATUSES:
        return None, None
    solved_at = ticket.resolved_at or ticket.closed_at
    solving_status = Status.RESOLVED if ticket.resolved_at else Status.CLOSED
    event = (
        TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.STATUS, new_value=solving_status)
        .order_by("-created_at", "-id")
        .values("actor_id")
        .first()
    )
    return solved_at, event["actor_id"] if event else None


@transaction.atomic
def ticket_metrics_update(*, ticket_id: int, schedules: TeamSchedules | None = None) -> TicketMetrics | None:
    """Recompute one ticket's figures from its stored data: the ticket, its audit trail, replies, clocks, surveys."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        return None  # deleted meanwhile: its metrics went with it (cascade)
    schedule = (schedules or TeamSchedules()).of(ticket.team_id)
    solved_at, solved_by_id = _solving(ticket)
    status_events = TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.STATUS)
    reopens = status_events.filter(old_value__in=SOLVED_STATUSES, new_value__in=OPEN_STATUSES).count()
    clocks = SlaClock.objects.filter(ticket=ticket).aggregate(
        total=Count("id"), breached=Count("id", filter=Q(breached_at__isnull=False))
    )
    rating = (
        SatisfactionSurvey.objects.filter(ticket=ticket)
        .exclude(rating="")
        .order_by("-rated_at", "-id")
        .values_list("rating", flat=True)
        .first()
    )
    metrics, _ = TicketMetrics.objects.update_or_create(
        ticket=ticket,
        defaults={
            "created_at": ticket.created_at,
            "status": ticket.status,
            "priority": ticket.priority,
            "channel": ticket.channel,
            "team_id": ticket.team_id,
            "category_id": ticket.category_id,
            "assignee_id": ticket.assignee_id,
            "first_response_at": ticket.first_response_at,
            "solved_at": solved_at,
            "solved_by_id": solved_by_id,
            "reopen_count": reopens,
            "replies": public_staff_replies().filter(ticket=ticket).count(),
            "first_response_minutes": _business_minutes(schedule, ticket.created_at, ticket.first_response_at),
            "resolution_minutes": _business_minutes(schedule, ticket.created_at, solved_at),
            "sla_breached": clocks["breached"] > 0 if clocks["total"] else None,
            "csat_rating": rating or "",
        },
    )
    return metrics


def ticket_metrics_backfill(*, ticket_ids: Iterable[int] | None = None) -> int:
    """Recompute the metrics of every ticket (or of these), in batches. Returns how many were computed."""
    schedules = TeamSchedules()
    ids = ticket_ids if ticket_ids is not None else Ticket.objects.order_by("pk").values_list("pk", flat=True)
    done = 0
    for ticket_id in ids.iterator(chunk_size=BACKFILL_BATCH) if isinstance(ids, QuerySet) else ids:
        ticket_metrics_update(ticket_id=ticket_id, schedules=schedules)
        done += 1
    return done


Key = tuple[int | None, int | None, int | None]


def _per_day(queryset: QuerySet, moment: str, keys: tuple[str, ...]) -> dict[tuple[date, ...], int]:
    zone = reports_time_zone()
    rows = queryset.annotate(day=TruncDate(moment, tzinfo=zone)).values("day", *keys).annotate(n=Count("pk"))
    return {(row["day"], *(row[key] for key in keys)): row["n"] for row in rows.order_by()}


@transaction.atomic
def rollups_rebuild(*, first_day: date, last_day: date) -> int:
    """Recompute the rollups of these days (both included) from the metrics and the replies. Returns rows written.

    The backlog at the end of a day is the tickets open then: the backlog before `first_day`, counted once, plus
    each day's created less its solved. One pass over the range, however long (the backfill rebuilds years).
    """
    start, end = day_start(first_day), day_start(last_day + timedelta(days=1))
    if connection.vendor == "postgresql":
        # Two rebuilds at once (the beat task during a backfill) would each delete, then both insert: one waits.
        # Readers are not blocked (EXCLUSIVE allows ACCESS SHARE); SQLite already writes one at a time.
        with connection.cursor() as cursor:
            tables = f"{DailyRollup._meta.db_table}, {AgentDailyRollup._meta.db_table}"
            cursor.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")
    keys = ("team_id", "category_id", "assignee_id")
    in_range = TicketMetrics.objects.filter
    created = _per_day(in_range(created_at__gte=start, created_at__lt=end), "created_at", keys)
    solved = _per_day(in_range(solved_at__gte=start, solved_at__lt=end), "solved_at", keys)
    replies_in_range = public_staff_replies().filter(created_at__gte=start, created_at__lt=end)
    ticket_keys = ("ticket__team_id", "ticket__category_id", "ticket__assignee_id")
    replies = _per_day(replies_in_range, "created_at", ticket_keys)
    agent_keys = ("author_id", "ticket__team_id", "ticket__category_id")
    agent_replies = _per_day(replies_in_range, "created_at", agent_keys)
    agent_solved = _per_day(
        in_range(solved_at__gte=start, solved_at__lt=end, solved_by__isnull=False),
        "solved_at",
        ("solved_by_id", "team_id", "category_id"),
    )
    open_before = (
        TicketMetrics.objects.filter(created_at__lt=start)
        .filter(Q(solved_at__isnull=True) | Q(solved_at__gte=start))
        .values(*keys)
        .annotate(n=Count("pk"))
        .order_by()
    )
    backlog: dict[Key, int] = defaultdict(int)
    for row in open_before:
        backlog[(row["team_id"], row["category_id"], row["assignee_id"])] = row["n"]

    DailyRollup.objects.filter(day__gte=first_day, day__lte=last_day).delete()
    AgentDailyRollup.objects.filter(day__gte=first_day, day__lte=last_day).delete()
    rows: list[DailyRollup] = []
    agent_rows: list[AgentDailyRollup] = []
    written = 0
    keys_by_day: dict[date, set[Key]] = defaultdict(set)
    for day, *key in (*created, *solved, *replies):
        keys_by_day[day].add(tuple(key))
    agent_keys_by_day: dict[date, set[Key]] = defaultdict(set)
    for day, *key in (*agent_replies, *agent_solved):
        agent_keys_by_day[day].add(tuple(key))
    day = first_day
    while day <= last_day:
        day_keys = keys_by_day.get(day, set())
        for key in day_keys:
            backlog[key] += created.get((day, *key), 0) - solved.get((day, *key), 0)
        for key in day_keys | {key for key, count in backlog.items() if count}:
            rows.append(
                DailyRollup(
                    day=day,
                    team_id=key[0],
                    category_id=key[1],
                    assignee_id=key[2],
                    created=created.get((day, *key), 0),
                    solved=solved.get((day, *key), 0),
                    backlog=max(backlog[key], 0),
                    replies=replies.get((day, *key), 0),
                )
            )
        for agent_key in agent_keys_by_day.get(day, ()):
            agent_rows.append(
                AgentDailyRollup(
                    day=day,
                    agent_id=agent_key[0],
                    team_id=agent_key[1],
                    category_id=agent_key[2],
                    replies=agent_replies.get((day, *agent_key), 0),
                    solved=agent_solved.get((day, *agent_key), 0),
                )
            )
        if len(rows) >= BACKFILL_BATCH:  # years of days: written as they come, not held in memory
            written += len(DailyRollup.objects.bulk_create(rows))
            rows = []
        day += timedelta(days=1)
    written += len(DailyRollup.objects.bulk_create(rows, batch_size=BACKFILL_BATCH))
    return written + len(AgentDailyRollup.objects.bulk_create(agent_rows, batch_size=BACKFILL_BATCH))


def rollups_refresh(*, now: datetime | None = None) -> int:
    """What the beat task does: yesterday (late events) and today so far."""
    today = timezone.localdate(now or timezone.now(), reports_time_zone())
    return rollups_rebuild(first_day=today - timedelta(days=1), last_day=today)


def rollups_backfill(*, now: datetime | None = None) -> int:
    """Every day from the first ticket's to today."""
    first = TicketMetrics.objects.order_by("created_at").values_list("created_at", flat=True).first()
    if first is None:
        return 0
    zone = reports_time_zone()
    today = timezone.localdate(now or timezone.now(), zone)
    return rollups_rebuild(first_day=timezone.localdate(first, zone), last_day=today)
