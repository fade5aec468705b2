"""The notifications' background work: send one mail (retried with backoff), sweep up lost ones, and the
event handlers that decide who is mailed (registered in notifications/handlers.py)."""

from __future__ import annotations

import logging

from celery import Task, shared_task

from events.models import Event
from events.runner import event_handler
from notifications import services

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    name="notifications.send",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,  # Notification.attempts decides, so the count survives a re-send by the sweep
)
def notification_send(task: Task, notification_id: int) -> None:
    notification = services.notification_claim(notification_id=notification_id)
    if notification is None:
        return  # sent already, given up, or another worker has it
    if services.notification_withdraw_if_unwanted(notification=notification):
        return
    try:
        services.notification_deliver(notification=notification)
    except Exception as error:  # SMTP refused, timed out, or anything else: recorded, retried, never lost silently
        delay = services.notification_failed(notification=notification, error=error)
        if delay is None:
            logger.error("gave up sending notification %s", notification_id, exc_info=error)
            return
        logger.warning("notification %s not sent; retry in %.0f s", notification_id, delay)
        raise task.retry(exc=error, countdown=delay) from error
    services.notification_sent(notification=notification)


@shared_task(name="notifications.sweep")
def notifications_sweep() -> None:
    services.notifications_sweep()


@event_handler
def mail_people_concerned(event: Event) -> None:
    """Requester, assignee or team, by the rules in `services.notifications_for_event`."""
    services.notifications_for_event(event=event)


@event_handler
def mark_bounced_mail(event: Event) -> None:
    services.notifications_bounced(event=event)
