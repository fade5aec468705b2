"""The worker's side of events: hand an event to its handlers, and sweep up whatever was never handed over."""

from __future__ import annotations

from celery import shared_task

from events import services


@shared_task(name="events.dispatch", acks_late=True, reject_on_worker_lost=True)
def event_dispatch(event_id: int) -> None:
    services.event_dispatch(event_id=event_id)


@shared_task(name="events.sweep")
def events_sweep() -> None:
    services.events_sweep()


@shared_task(bind=True, name="events.heartbeat", ignore_result=True, expires=60)
def worker_heartbeat(task: object) -> None:
    """Beat sends this every WORKER_HEARTBEAT_SECONDS; the worker that runs it records the time."""
    services.worker_heartbeat_record(hostname=getattr(getattr(task, "request", None), "hostname", "") or "")
