"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up. Touches nothing else, so a database outage does not restart healthy workers."""
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    # Both cache backends fail open (helpdesk/cache.py): an outage shows as the value not coming back.
    cache.set("readyz-probe", "ok", timeout=5)
    if cache.get("readyz-probe") != "ok":
        raise RuntimeError("cache did not return the value just stored")


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve: 200 while the database answers, 503 (naming it) when it does not.

    The cache is not the source of truth: when it fails the site serves on without it (rate limits pause), so the
    answer is still 200, with `"status": "degraded"` and `"cache": "degraded"`. Taking every instance out of the
    load balancer because a shared cache is down would turn a degraded service into no service at all.
    """
    checks = {}
    for name, check in READINESS_CHECKS.items():
        try:
            check()
        except Exception as exc:  # any failure is reported by name; the reason is logged, not leaked
            logger.warning("readiness check %s failed: %s", name, exc)
            checks[name] = "degraded" if name in SERVES_WITHOUT else "unavailable"
        else:
            checks[name] = "ok"
    if "unavailable" in checks.values():
        return JsonResponse({"status": "unavailable", "checks": checks}, status=503)
    status = "degraded" if "degraded" in checks.values() else "ok"
    return JsonResponse({"status": status, "checks": checks})


READINESS_CHECKS = {"database": _check_database, "cache": _check_cache}
SERVES_WITHOUT = frozenset({"cache"})  # a failure here degrades the service (200) rather than stopping it (503)


# --- The background worker --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackgroundState:
    heartbeat_age_seconds: float | None  # None: no worker has ever run beat's heartbeat
    event_lag_seconds: float  # age of the oldest event not yet handed to the worker; 0 when none
    handler_runs: dict[str, int]  # pending, running, failed
    notifications: dict[str, int]  # queued, sending, failed, bounced


def background_state(*, now: datetime | None = None) -> BackgroundState:
    """What the worker's health looks like from the database (cheap: each query reads a partial index)."""
    from events.models import Event, HandlerRun, RunState, WorkerHeartbeat
    from notifications.models import Notification, NotificationStatus

    now = now or timezone.now()
    beat_at = WorkerHeartbeat.objects.filter(name="worker").values_list("beat_at", flat=True).first()
    oldest = Event.objects.undispatched().order_by("created_at").values_list("created_at", flat=True).first()
    runs = dict(
        HandlerRun.objects.filter(state__in=[RunState.PENDING, RunState.RUNNING, RunState.FAILED])
        .order_by()
        .values_list("state")
        .annotate(count=Count("id"))
    )
    unsent = [status for status in NotificationStatus.values if status != NotificationStatus.SENT]
    mails = dict(
        Notification.objects.filter(status__in=unsent).order_by().values_list("status").annotate(count=Count("id"))
    )
    return BackgroundState(
        heartbeat_age_seconds=(now - beat_at).total_seconds() if beat_at else None,
        event_lag_seconds=max((now - oldest).total_seconds(), 0.0) if oldest else 0.0,
        handler_runs={state: runs.get(state, 0) for state in (RunState.PENDING, RunState.RUNNING, RunState.FAILED)},
        notifications={status: mails.get(status, 0) for status in unsent},
    )


@require_GET
@never_cache
def readyz_worker(request: HttpRequest) -> JsonResponse:
    """The background worker's probe: 200 while beat's heartbeat is fresh and events are handed over in time, 503
    otherwise. Kept apart from /readyz: web nodes serve on while the worker is down (mail waits, nothing is lost),
    so a worker outage must not take them out of the load balancer."""
    try:
        state = background_state()
    except Exception as exc:  # the database is down: the worker cannot work either
        logger.warning("worker readiness check failed: %s", exc)
        return JsonResponse({"status": "unavailable", "checks": {"database": "unavailable"}}, status=503)
    stale = settings.WORKER_HEARTBEAT_STALE_SECONDS
    checks = {
        "heartbeat": "ok"
        if state.heartbeat_age_seconds is not None and state.heartbeat_age_seconds <= stale
        else "stale",
        "events": "ok" if state.event_lag_seconds <= stale else "lagging",
    }
    ok = all(value == "ok" for value in checks.values())
    body = {
        "status": "ok" if ok else "unavailable",
        "checks": checks,
        "heartbeat_age_seconds": state.heartbeat_age_seconds,
        "event_lag_seconds": state.event_lag_seconds,
        "handler_runs_failed": state.handler_runs["failed"],
        "notifications_queued": state.notifications["queued"],
        "notifications_failed": state.notifications["failed"],
    }
    return JsonResponse(body, status=200 if ok else 503)
