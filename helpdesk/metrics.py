"""`/metrics` in Prometheus format: request counts and latencies by view (django-prometheus) and tickets by status.

Readable only from `METRICS_ALLOWED_IPS` or with `Authorization: Bearer $METRICS_TOKEN`; anyone else gets a 404.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Iterator

import prometheus_client
from django.conf import settings
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from tickets.models import Status, Ticket


class TicketStatusCollector(Collector):
    """Counted on each scrape, so the numbers are always the database's."""

    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Describing without querying: registration must not touch the database.
        yield GaugeMetricFamily("helpdesk_tickets", "Tickets by status.", labels=["status"])

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("helpdesk_tickets", "Tickets by status.", labels=["status"])
        counts = dict(Ticket.objects.order_by().values_list("status").annotate(count=Count("id")))
        for status in Status.values:
            family.add_metric([status], counts.get(status, 0))
        yield family


TICKET_STATUS_COLLECTOR = TicketStatusCollector()


def register_collectors() -> None:
    """Called once from the app's ready()."""
    prometheus_client.REGISTRY.register(TICKET_STATUS_COLLECTOR)


def _registry() -> prometheus_client.CollectorRegistry:
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return prometheus_client.REGISTRY
    # Several gunicorn workers: merge their files, and count tickets here once.
    registry = prometheus_client.CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(TICKET_STATUS_COLLECTOR)
    return registry


def _has_metrics_token(request: HttpRequest) -> bool:
    expected = settings.METRICS_TOKEN
    offered = request.headers.get("Authorization", "")
    return bool(expected) and hmac.compare_digest(offered.encode(), f"Bearer {expected}".encode())


def _from_allowed_address(request: HttpRequest) -> bool:
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in settings.METRICS_ALLOWED_IPS)


def may_read_metrics(request: HttpRequest) -> bool:
    return _has_metrics_token(request) or _from_allowed_address(request)


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not may_read_metrics(request):
        raise Http404
    body = prometheus_client.generate_latest(_registry())
    return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)
