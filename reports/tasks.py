"""The reports' background work: a ticket's metrics when something happens to it, and the daily rollups."""

from __future__ import annotations

from celery import shared_task

from events.models import Event
from events.runner import event_handler
from reports import services


@event_handler
def ticket_metrics_refresh(event: Event) -> None:
    """Recomputed from the ticket as stored, so an event delivered twice or late changes nothing."""
    if event.ticket_id is not None:
        services.ticket_metrics_update(ticket_id=event.ticket_id)


@event_handler
def merged_reply_days_mark_stale(event: Event) -> None:
    """The days whose replies a merge moved onto the event's ticket are rebuilt by the next rollup run."""
    if event.ticket_id is not None:
        services.merged_reply_days_mark_stale(ticket_id=event.ticket_id)


@shared_task(name="reports.rollup", acks_late=True, reject_on_worker_lost=True)
def reports_rollup() -> None:
    services.rollups_refresh()
