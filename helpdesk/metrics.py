"""`/metrics` in Prometheus format: request counts and latencies by view (django-prometheus), tickets by status,
and the background worker: broker queue depth, handler runs (failed ones are task failures), event lag (the
oldest event not yet handed to the worker), mails queued and failed, and the age of the worker's heartbeat.

Readable only from `METRICS_ALLOWED_IPS` or with `Authorization: Bearer $METRICS_TOKEN`; anyone else gets a 404.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from collections.abc import Iterator

import prometheus_client
from amqp.exceptions import ChannelError
from django.conf import settings
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from tickets.models import Status, Ticket

logger = logging.getLogger(__name__)


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


def broker_queue_depth(queue: str = "celery") -> int | None:
    """Messages waiting in the broker's queue, or None when the broker does not answer (the scrape goes on)."""
    from helpdesk.celery import app

    try:
        with app.connection_for_read() as connection:
            connection.ensure_connection(max_retries=1, timeout=settings.CELERY_BROKER_CONNECTION_TIMEOUT)
            try:
                return connection.default_channel.queue_declare(queue=queue, passive=True).message_count
            except ChannelError as error:
                if str(error.reply_code) == "404":  # NOT_FOUND: no worker declared the queue yet, so nothing waits
                    return 0
                raise
    except Exception:  # a broker that is down: no number rather than a wrong one
        logger.warning("could not read the depth of broker queue %s", queue, exc_info=True)
        return None


class BackgroundCollector(Collector):
    """The worker's health, read from the database (and the broker) on each scrape."""

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield from self._families()

    def _families(self) -> tuple[GaugeMetricFamily, ...]:
        return (
            GaugeMetricFamily("helpdesk_queue_depth", "Messages waiting in the broker queue.", labels=["queue"]),
            GaugeMetricFamily("helpdesk_handler_runs", "Event handler runs not succeeded, by state.", labels=["state"]),
            GaugeMetricFamily("helpdesk_event_lag_seconds", "Age of the oldest event not yet handed to the worker."),
            GaugeMetricFamily("helpdesk_notifications", "Mails not delivered, by status.", labels=["status"]),
            GaugeMetricFamily(
                "helpdesk_worker_heartbeat_age_seconds", "Seconds since a worker ran beat's heartbeat (-1: never)."
            ),
        )

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from helpdesk.health import background_state

        queue, runs, lag, mails, heartbeat = self._families()
        state = background_state()
        depth = broker_queue_depth()
        if depth is not None:
            queue.add_metric(["celery"], depth)
        for name, count in state.handler_runs.items():
            runs.add_metric([name], count)
        lag.add_metric([], state.event_lag_seconds)
        for name, count in state.notifications.items():
            mails.add_metric([name], count)
        heartbeat.add_metric([], -1 if state.heartbeat_age_seconds is None else state.heartbeat_age_seconds)
        yield from (queue, runs, lag, mails, heartbeat)


BACKGROUND_COLLECTOR = BackgroundCollector()


def register_collectors() -> None:
    """Called once from the app's ready()."""
    prometheus_client.REGISTRY.register(TICKET_STATUS_COLLECTOR)
    prometheus_client.REGISTRY.register(BACKGROUND_COLLECTOR)


def _registry() -> prometheus_client.CollectorRegistry:
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return prometheus_client.REGISTRY
    # Several gunicorn workers: merge their files, and count tickets here once.
    registry = prometheus_client.CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(TICKET_STATUS_COLLECTOR)
    registry.register(BACKGROUND_COLLECTOR)
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
