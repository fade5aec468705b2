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
