"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
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
