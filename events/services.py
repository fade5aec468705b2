"""Every write of the events app: recording an event, dispatching it, and the life of each handler run.

Where does an event start? `event_record`, called by the services of every app inside their own transaction.
"""

from __future__ import annotations

import logging
import secrets
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from celery import Task
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import User
from events import registry
from events.models import Event, EventKind, HandlerRun, RunState

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500
ERROR_MAX_CHARS = 4000

# What set off the changes being made now, when it is not a person: an automation rule (automations.services).
_cause: ContextVar[dict[str, Any] | None] = ContextVar("event_cause", default=None)


@contextmanager
def events_caused_by(cause: dict[str, Any]) -> Iterator[None]:
    """Every event recorded inside carries `cause` in its payload, so its handlers know what set it off.

    `cause["label"]` names it in words for the audit trail ("automation rule “Escalate”")."""
    token = _cause.set(cause)
    try:
        yield
    finally:
        _cause.reset(token)


def current_cause() -> dict[str, Any] | None:
    return _cause.get()


@contextmanager
def one_edit() -> Iterator[None]:
    """The events recorded inside are one edit, however many fields it changes: they share `cause["edit"]`, so a
    reaction to "the ticket was updated" can run once per edit rather than once per field. An edit already under
    way (a service calling another) keeps its own."""
    cause = current_cause() or {}
    if "edit" in cause:
        yield
        return
    with events_caused_by({**cause, "edit": secrets.token_hex(8)}):
        yield


def event_record(
    *,
    kind: EventKind,
    ticket: Any = None,
    actor: User | None = None,
    internal: bool = False,
    payload: dict[str, Any] | None = None,
) -> Event:
    """Write the event in the caller's transaction; the worker hears of it once that transaction commits."""
    event = Event.objects.create(
        kind=kind,
        ticket=ticket,
        actor=actor if actor is not None and actor.pk else None,
        internal=internal,
        payload={**(payload or {}), **({"cause": cause} if (cause := current_cause()) else {})},
    )
    transaction.on_commit(partial(_hand_over, event.pk))
    return event


def _hand_over(event_id: int) -> None:
    from events.tasks import event_dispatch  # the tasks module calls this one: imported when first needed

    send_to_worker(event_dispatch, event_id)


def send_to_worker(task: Task, *args: Any) -> bool:
    """Queue a task. When the broker is unreachable the work is not lost: the sweep sends it again later."""
    try:
        task.apply_async(args=args)
    except Exception:  # any broker error; the database row is the source of truth
        logger.warning("could not queue %s%s; the sweep will send it again", task.name, args, exc_info=True)
        return False
    return True


def event_dispatch(*, event_id: int, now: datetime | None = None) -> None:
    """Create a run for each handler of the event's kind and queue the ones that are due. Safe to repeat."""
    now = now or timezone.now()
    event = Event.objects.filter(pk=event_id).first()
    if event is None or event.dispatched_at is not None:
        return  # a second copy of the message (the sweep re-sent it): its runs exist and look after themselves
    handlers = registry.handlers_for(event.kind)
    HandlerRun.objects.bulk_create(
        [HandlerRun(event=event, handler=handler.name, next_attempt_at=now) for handler in handlers],
        ignore_conflicts=True,
    )
    due = set(
        HandlerRun.objects.filter(event=event, state=RunState.PENDING, next_attempt_at__lte=now).values_list(
            "handler", flat=True
        )
    )
    for handler in handlers:
        if handler.name in due:
            send_to_worker(handler, event.pk)
    Event.objects.filter(pk=event.pk, dispatched_at__isnull=True).update(dispatched_at=now)


def handler_run_start(*, event_id: int, handler: str) -> HandlerRun | None:
    """Claim the run for this delivery, or None when it already succeeded or was given up.

    A run still marked running is claimed again: its worker died (or its message was re-sent), and handlers are
    idempotent, so running it once more is the safe side.
    """
    unfinished = HandlerRun.objects.filter(
        event_id=event_id, handler=handler, state__in=[RunState.PENDING, RunState.RUNNING]
    )
    # Every allowed attempt was claimed and none recorded an outcome: each one's worker died (out of memory, a crash,
    # the hard time limit). Given up, as a handler that raises is, rather than re-sent for ever.
    if unfinished.filter(attempts__gte=settings.EVENT_HANDLER_MAX_ATTEMPTS).update(
        state=RunState.FAILED,
        finished_at=timezone.now(),
        last_error="Its worker died (killed, out of memory or past the time limit) on every attempt.",
    ):
        return None
    claimed = unfinished.update(state=RunState.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1)
    if not claimed:
        return None
    return HandlerRun.objects.select_related("event__ticket", "event__actor").get(event_id=event_id, handler=handler)


def handler_run_succeeded(*, run: HandlerRun) -> None:
    HandlerRun.objects.filter(pk=run.pk).update(state=RunState.SUCCEEDED, finished_at=timezone.now(), last_error="")


def handler_run_failed(*, run: HandlerRun, error: BaseException) -> float | None:
    """Record a failed attempt. Returns the delay before the next one, or None once the run is given up."""
    now = timezone.now()
    message = "".join(traceback.format_exception(error))[-ERROR_MAX_CHARS:]
    if run.attempts >= settings.EVENT_HANDLER_MAX_ATTEMPTS:
        HandlerRun.objects.filter(pk=run.pk).update(state=RunState.FAILED, finished_at=now, last_error=message)
        return None
    delay = retry_delay(run.attempts)
    HandlerRun.objects.filter(pk=run.pk).update(
        state=RunState.PENDING, next_attempt_at=now + timedelta(seconds=delay), last_error=message
    )
    return delay


def retry_delay(attempts: int) -> float:
    """Exponential backoff with jitter: about base x 2^(attempts-1) seconds, capped, never all at once."""
    ceiling = min(settings.EVENT_RETRY_BASE_SECONDS * 2 ** (attempts - 1), settings.EVENT_RETRY_MAX_SECONDS)
    return secrets.SystemRandom().uniform(ceiling / 2, ceiling)


@transaction.atomic
def handler_runs_retry(*, runs: list[HandlerRun]) -> int:
    """An admin's retry of failed runs: they start again with a fresh count of attempts."""
    retried = 0
    for run in runs:
        handler = registry.handler_named(run.handler)
        if handler is None or run.state != RunState.FAILED:
            continue
        HandlerRun.objects.filter(pk=run.pk).update(
            state=RunState.PENDING, attempts=0, next_attempt_at=timezone.now(), finished_at=None
        )
        transaction.on_commit(partial(send_to_worker, handler, run.event_id))
        retried += 1
    return retried


@dataclass(frozen=True)
class SweepResult:
    events: int
    runs: int


def events_sweep(*, now: datetime | None = None) -> SweepResult:
    """Re-send what a crash or a broker outage left behind.

    Events committed but never dispatched, pending runs long past their due time (a lost message or a retry held
    by a worker that died), and runs still marked running long after the task time limit. "Long" is
    EVENT_REDELIVER_AFTER_SECONDS, so a merely busy queue is not flooded with copies.
    """
    now = now or timezone.now()
    overdue = now - timedelta(seconds=settings.EVENT_REDELIVER_AFTER_SECONDS)
    event_ids = list(
        Event.objects.undispatched()
        .filter(created_at__lt=overdue)
        .order_by("created_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for event_id in event_ids:
        _hand_over(event_id)

    stuck_since = overdue - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    lost = Q(state=RunState.PENDING, next_attempt_at__lt=overdue) | Q(
        state=RunState.RUNNING, started_at__lt=stuck_since
    )
    # Only runs of handlers this deploy has: runs of a renamed or removed one would otherwise fill every batch.
    known = HandlerRun.objects.filter(lost, handler__in=registry.handler_names())
    runs = list(known.order_by("next_attempt_at")[:SWEEP_BATCH])
    for run in runs:
        handler = registry.handler_named(run.handler)
        if handler is None:
            continue
        # Due again from now: re-sent at most once per EVENT_REDELIVER_AFTER_SECONDS.
        HandlerRun.objects.filter(pk=run.pk).update(state=RunState.PENDING, next_attempt_at=now)
        send_to_worker(handler, run.event_id)
    if event_ids or runs:
        logger.info("events sweep re-sent %d events and %d handler runs", len(event_ids), len(runs))
    return SweepResult(events=len(event_ids), runs=len(runs))


def worker_heartbeat_record(*, hostname: str = "", now: datetime | None = None) -> None:
    from events.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(
        name="worker", defaults={"beat_at": now or timezone.now(), "hostname": hostname[:255]}
    )
