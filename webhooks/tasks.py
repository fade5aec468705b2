"""The worker's side of webhooks: prepare deliveries from events, send them, and sweep up what is due."""

from __future__ import annotations

from celery import shared_task

from events.models import Event
from events.runner import event_handler
from webhooks import services
from webhooks.notifications import mail_admins_endpoint_disabled


@event_handler
def webhooks_fan_out(event: Event) -> None:
    """Prepare a delivery of the event for every endpoint subscribed to it (and queue them)."""
    services.deliveries_prepare(event=event)


@event_handler
def mail_admins_of_disabled_endpoint(event: Event) -> None:
    """The worker disabled an endpoint: its admins are mailed."""
    mail_admins_endpoint_disabled(event=event)


@shared_task(name="webhooks.deliver", acks_late=True, reject_on_worker_lost=True)
def webhook_deliver(delivery_id: int) -> None:
    services.delivery_attempt(delivery_id=delivery_id)


@shared_task(name="webhooks.sweep")
def webhooks_sweep() -> None:
    services.webhooks_sweep()
