"""The automations' background work: trigger rules on each event, and time rules every few minutes."""

from __future__ import annotations

from celery import shared_task

from automations import services
from events.models import Event
from events.runner import event_handler


@event_handler
def run_trigger_rules(event: Event) -> None:
    services.rules_run_for_event(event=event)


@shared_task(name="automations.time_rules", acks_late=True, reject_on_worker_lost=True)
def run_time_rules() -> None:
    services.time_rules_run()
