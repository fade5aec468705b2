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
    cache.set("readyz-probe", "ok", timeout=5)
    if cache.get("readyz-probe") != "ok":
        raise RuntimeError("cache did not return the value just stored")


READINESS_CHECKS = {"database": _check_database, "cache": _check_cache}


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve: the database and the cache answer. 503 names each failed check."""
    failed = {}
    for name, check in READINESS_CHECKS.items():
        try:
            check()
        except Exception as exc:  # any failure means not ready; the reason is logged, not leaked
            logger.warning("readiness check %s failed: %s", name, exc)
            failed[name] = "unavailable"
    if failed:
        return JsonResponse({"status": "unavailable", "checks": failed}, status=503)
    return JsonResponse({"status": "ok", "checks": dict.fromkeys(READINESS_CHECKS, "ok")})
