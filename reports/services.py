"""Every write of the reports app: a ticket's metrics, recomputed from its data, and the daily rollups.

Both are derived data, recomputed from the source rows rather than incremented, so running either twice (an event
delivered twice, the beat task overlapping the backfill) leaves the same rows. The one exception, the open tickets
counted by their figures (`OpenTicketCount`), moves by the difference between a ticket's stored metrics and its new
ones, with the ticket locked, so it too is unchanged by a second run; every rollup run recounts it anyway.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import STAFF_ROLES
from csat.models import Rating, SatisfactionSurvey
from reports.models import (
    OPEN_STATUS_VALUES,
    AgentDailyRollup,
    DailyRollup,
    Duration,
    DurationRollup,
    OpenTicketCount,
    StaleRollupDay,
    TicketMetrics,
)
from sla.business_time import Schedule, business_time_between
from sla.models import SlaClock
from sla.selectors import TeamSchedules
from tickets.models import OPEN_STATUSES, Channel, Comment, Status, Ticket, TicketEvent, TicketEventKind
from tickets.services.common import ticket_locked_keeping_what_it_names

SOLVED_STATUSES = (Status.RESOLVED, Status.CLOSED)
BACKFILL_BATCH = 1000
ROLLUP_REBUILD_MAX_DAYS = 366


def reports_time_zone() -> ZoneInfo:
    """Days in the reports start at midnight here."""
    return ZoneInfo(settings.TIME_ZONE)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time()).replace(tzinfo=reports_time_zone())


def _business_minutes(schedule: Schedule, start: datetime, end: datetime | None) -> int | None:
    if end is None:
        return None
    return int(business_time_between(schedule, start, end).total_seconds() // 60)


def public_staff_replies() -> QuerySet[Comment]:
    """Staff answering someone else in public: what counts as a response (as in tickets.services.comments).

    Not on a merged ticket: its conversation moved to the ticket it was merged into, and it takes no message since,
    so its one public message is the notice that it was merged, which the system writes in the merging agent's
    name, not an answer (tickets.services.merge)."""
    return Comment.objects.filter(
        internal=False, author__role__in=STAFF_ROLES, ticket__merged_into__isnull=True
    ).exclude(author_id=F("ticket__requester_id"))


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
    """Recompute one ticket's figures from its stored data: the ticket, its audit trail, replies, clocks, surveys.

    The ticket is locked, so two computations of it (an event delivered twice, at once) take turns: the second finds
    the first's figures stored, and moves the open counts by nothing. The rows it names are kept before it is
    locked, in the one order a deletion takes them, and again if it moved meanwhile
    (tickets.services.common.ticket_locked_keeping_what_it_names)."""
    ticket = ticket_locked_keeping_what_it_names(ticket_id)
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
    before = TicketMetrics.objects.filter(ticket=ticket).values(*ROLLUP_FIELDS, *OPEN_COUNT_FIELDS).first()
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
    _open_count_move(before, metrics)
    if before is not None:
        _mark_stale_days(before, metrics)
    return metrics


# What the rollups count a ticket by, on the day it came in and on the day it was solved: when one changes, the
# days already rolled up may be wrong.
CREATED_DAY_FIELDS = (
    "created_at",
    "team_id",
    "category_id",
    "assignee_id",
    "channel",
    "sla_breached",
    "first_response_minutes",
)
SOLVED_DAY_FIELDS = (
    "solved_at",
    "solved_by_id",
    "team_id",
    "category_id",
    "assignee_id",
    "reopen_count",
    "csat_rating",
    "resolution_minutes",
)
# What the rollups count a ticket's replies by, on the days they were written (DailyRollup: all three; AgentDailyRollup:
# the team and category, with the author): when one changes, those days may be wrong too.
REPLY_DAY_FIELDS = ("team_id", "category_id", "assignee_id")
ROLLUP_FIELDS = tuple(dict.fromkeys((*CREATED_DAY_FIELDS, *SOLVED_DAY_FIELDS)))
# What the open tickets are counted by (OpenTicketCount).
OPEN_COUNT_FIELDS = ("status", "priority", "team_id", "category_id", "assignee_id")


def _open_count_move(before: dict[str, object] | None, metrics: TicketMetrics) -> None:
    """One less open ticket under its stored figures, one more under its new ones (nothing if neither is open, or
    both are the same)."""
    old = tuple(before[name] for name in OPEN_COUNT_FIELDS) if before is not None else None
    new = tuple(getattr(metrics, name) for name in OPEN_COUNT_FIELDS)
    if old == new:
        return
    for key, change in ((old, -1), (new, 1)):
        if key is None or key[0] not in OPEN_STATUS_VALUES:
            continue
        cell = OpenTicketCount.objects.filter(**dict(zip(OPEN_COUNT_FIELDS, key, strict=True)))
        # Two tickets entering a new cell at once may each add a row: readers sum, and this updates the first.
        pk = cell.order_by("pk").values_list("pk", flat=True).first()
        if pk is None:
            OpenTicketCount.objects.create(**dict(zip(OPEN_COUNT_FIELDS, key, strict=True)), tickets=change)
        else:
            OpenTicketCount.objects.filter(pk=pk).update(tickets=F("tickets") + change)


def _mark_stale_days(before: dict[str, object], metrics: TicketMetrics) -> None:
    """Every day before today that this change makes wrong. The beat task rebuilds yesterday and today anyway, but a day
    that was today at its last run and is yesterday now would otherwise miss the changes made in between; the
    dashboard reads today, yesterday and the stale days from the metrics themselves."""
    zone = reports_time_zone()
    moments = []
    if any(before[name] != getattr(metrics, name) for name in CREATED_DAY_FIELDS):
        moments += [before["created_at"], metrics.created_at]  # counted under other figures since it came in
    if any(before[name] != getattr(metrics, name) for name in SOLVED_DAY_FIELDS):
        moments += [moment for moment in (before["solved_at"], metrics.solved_at) if moment is not None]
    days = {timezone.localdate(moment, zone) for moment in moments}
    if any(before[name] != getattr(metrics, name) for name in REPLY_DAY_FIELDS):
        # A rebuild runs from the earliest stale day on, so the creation day usually covers the replies' days; not
        # when it is older than a rollup run rebuilds (ROLLUP_REBUILD_MAX_DAYS) and the replies are recent.
        days |= _days_staff_wrote_on(metrics.ticket_id)
    _stale_days_mark(days)


def _days_staff_wrote_on(ticket_id: int) -> set[date]:
    """The days before today on which staff wrote on this ticket, in public or not (one query): a merge turns
    replies into internal notes, which the days' rollups still count as replies until they are rebuilt."""
    zone = reports_time_zone()
    today = timezone.localdate(timezone.now(), zone)
    written = Comment.objects.filter(ticket_id=ticket_id, author__role__in=STAFF_ROLES, created_at__lt=day_start(today))
    return set(
        written.annotate(day=TruncDate("created_at", tzinfo=zone)).values_list("day", flat=True).distinct().order_by()
    )


def _stale_days_mark(days: Iterable[date]) -> None:
    """Mark these days stale (those before today: the beat task rebuilds today and yesterday anyway), in one
    statement; a day marked already stays as it is."""
    today = timezone.localdate(timezone.now(), reports_time_zone())
    StaleRollupDay.objects.bulk_create(
        [StaleRollupDay(day=day) for day in sorted(days) if day < today], ignore_conflicts=True
    )


def merged_reply_days_mark_stale(*, ticket_id: int) -> None:
    """After a merge into this ticket: the replies moved onto it are counted, on the days they were written, under
    the merged ticket's team, category and assignee, and as replies even when they moved as internal notes (across
    requesters); its own figures need not change, so `ticket_metrics_update` cannot tell. Those days are stale."""
    _stale_days_mark(_days_staff_wrote_on(ticket_id))


def stale_days(*, first_day: date, last_day: date) -> set[date]:
    """The days of this range whose rollups the next `reports.rollup` run (or the backfill) must rebuild first."""
    return set(StaleRollupDay.objects.filter(day__gte=first_day, day__lte=last_day).values_list("day", flat=True))


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
    """Per day and key: how many rows."""
    return {key: row["n"] for key, row in _per_day_counts(queryset, moment, keys, {}).items()}


# What DailyRollup counts of the tickets created, and of those solved, each day (its fields of the same names).
CREATED_COUNTS: dict[str, Q] = {
    **{f"created_{channel.value}": Q(channel=channel.value) for channel in Channel},
    "sla_tracked": Q(sla_breached__isnull=False),
    "sla_breached": Q(sla_breached=True),
}
SOLVED_COUNTS: dict[str, Q] = {
    "reopened": Q(reopen_count__gt=0),
    "rated": ~Q(csat_rating=""),
    "rated_good": Q(csat_rating=Rating.GOOD),
}


def _per_day_counts(
    queryset: QuerySet, moment: str, keys: tuple[str, ...], counts: dict[str, Q]
) -> dict[tuple[date, ...], dict[str, int]]:
    """Per day and key: how many rows (`n`), and how many match each of `counts`."""
    zone = reports_time_zone()
    aggregates = {"n": Count("pk"), **{name: Count("pk", filter=condition) for name, condition in counts.items()}}
    rows = queryset.annotate(day=TruncDate(moment, tzinfo=zone)).values("day", *keys).annotate(**aggregates)
    return {(row["day"], *(row[key] for key in keys)): row for row in rows.order_by()}


def _lock(*models: type) -> None:
    if connection.vendor == "postgresql":
        # Two rebuilds at once (the beat task during a backfill) would each delete, then both insert: one waits.
        # Readers are not blocked (EXCLUSIVE allows ACCESS SHARE); SQLite already writes one at a time.
        with connection.cursor() as cursor:
            tables = ", ".join(model._meta.db_table for model in models)
            cursor.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")


def _durations_rebuild(created: QuerySet[TicketMetrics], solved: QuerySet[TicketMetrics]) -> int:
    """The distributions of first response (by the day the tickets came in) and resolution (by the day they were
    solved) of these metrics, as rows of (day, minutes, how many tickets)."""
    zone = reports_time_zone()
    written = 0
    for duration, queryset, moment, field in (
        (Duration.FIRST_RESPONSE, created, "created_at", "first_response_minutes"),
        (Duration.RESOLUTION, solved, "solved_at", "resolution_minutes"),
    ):
        counts = (
            queryset.filter(**{f"{field}__isnull": False})
            .annotate(day=TruncDate(moment, tzinfo=zone))
            .values_list("day", field)
            .annotate(n=Count("pk"))
            .order_by()
        )
        rows: list[DurationRollup] = []
        for day, minutes, tickets in counts.iterator(chunk_size=BACKFILL_BATCH):  # years of days: not all at once
            rows.append(DurationRollup(day=day, duration=duration, minutes=minutes, tickets=tickets))
            if len(rows) >= BACKFILL_BATCH:
                written += len(DurationRollup.objects.bulk_create(rows))
                rows = []
        written += len(DurationRollup.objects.bulk_create(rows))
    return written


@transaction.atomic
def open_counts_rebuild() -> int:
    """Recount the open tickets by their figures from the metrics (what `ticket_metrics_update` keeps in step; this
    also drops the tickets deleted since). Returns rows written."""
    _lock(OpenTicketCount)
    rows = (
        TicketMetrics.objects.filter(status__in=OPEN_STATUS_VALUES)
        .values(*OPEN_COUNT_FIELDS)
        .annotate(n=Count("pk"))
        .order_by()
    )
    OpenTicketCount.objects.all().delete()
    counts = [OpenTicketCount(**{name: row[name] for name in OPEN_COUNT_FIELDS}, tickets=row["n"]) for row in rows]
    return len(OpenTicketCount.objects.bulk_create(counts, batch_size=BACKFILL_BATCH))


@transaction.atomic
def rollups_rebuild(*, first_day: date, last_day: date) -> int:
    """Recompute the rollups of these days (both included) from the metrics and the replies. Returns rows written.

    The backlog at the end of a day is the tickets open then: the backlog before `first_day`, counted once, plus
    each day's created less its solved. One pass over the range, however long (the backfill rebuilds years).
    """
    start, end = day_start(first_day), day_start(last_day + timedelta(days=1))
    _lock(DailyRollup, AgentDailyRollup, DurationRollup)
    keys = ("team_id", "category_id", "assignee_id")
    in_range = TicketMetrics.objects.filter
    created_in_range = in_range(created_at__gte=start, created_at__lt=end)
    solved_in_range = in_range(solved_at__gte=start, solved_at__lt=end)
    created_figures = _per_day_counts(created_in_range, "created_at", keys, CREATED_COUNTS)
    solved_figures = _per_day_counts(solved_in_range, "solved_at", keys, SOLVED_COUNTS)
    created = {key: figures["n"] for key, figures in created_figures.items()}
    solved = {key: figures["n"] for key, figures in solved_figures.items()}
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
    DurationRollup.objects.filter(day__gte=first_day, day__lte=last_day).delete()
    written = _durations_rebuild(created_in_range, solved_in_range)
    rows: list[DailyRollup] = []
    agent_rows: list[AgentDailyRollup] = []
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
            created_counts = created_figures.get((day, *key), {})
            solved_counts = solved_figures.get((day, *key), {})
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
                    **{name: created_counts.get(name, 0) for name in CREATED_COUNTS},
                    **{name: solved_counts.get(name, 0) for name in SOLVED_COUNTS},
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


def _days_of_deleted_tickets(*, before: date) -> set[date]:
    """The days before `before` whose rollups count tickets that are gone (deleted, their metrics with them): no
    event tells, so the rolled-up total is compared with the metrics' (one index count), and only when they differ
    day by day. Tickets only come in today, so a day's count before yesterday changes by deletion alone."""
    rolled_up = DailyRollup.objects.filter(day__lt=before).aggregate(n=Sum("created"))["n"] or 0
    if TicketMetrics.objects.filter(created_at__lt=day_start(before)).count() == rolled_up:
        return set()
    kept = _per_day(TicketMetrics.objects.filter(created_at__lt=day_start(before)), "created_at", ())
    counted = DailyRollup.objects.filter(day__lt=before).values_list("day").annotate(n=Sum("created")).order_by()
    return {day for day, n in counted if n != kept.get((day,), 0)}


def rollups_refresh(*, now: datetime | None = None) -> int:
    """What the beat task does: yesterday (late events) and today so far, and from the earliest stale day on (a day
    that counts a deleted ticket is stale too); and the open tickets recounted.

    Stale days more than a year back are left to `manage.py reports_backfill` (one run would rebuild years)."""
    today = timezone.localdate(now or timezone.now(), reports_time_zone())
    first = today - timedelta(days=1)
    for day in _days_of_deleted_tickets(before=first):
        StaleRollupDay.objects.get_or_create(day=day)
    stale = StaleRollupDay.objects.filter(day__lt=first)
    earliest = stale.filter(day__gte=today - timedelta(days=ROLLUP_REBUILD_MAX_DAYS)).order_by("day").first()
    if earliest is not None:
        first = earliest.day
    with transaction.atomic():
        written = rollups_rebuild(first_day=first, last_day=today)
        stale.filter(day__gte=first).delete()
    return written + open_counts_rebuild()


def rollups_backfill(*, now: datetime | None = None) -> int:
    """Every day from the first ticket's to today."""
    StaleRollupDay.objects.all().delete()
    written = open_counts_rebuild()
    first = TicketMetrics.objects.order_by("created_at").values_list("created_at", flat=True).first()
    if first is None:
        return written
    zone = reports_time_zone()
    today = timezone.localdate(now or timezone.now(), zone)
    return written + rollups_rebuild(first_day=timezone.localdate(first, zone), last_day=today)
