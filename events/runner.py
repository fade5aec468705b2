"""How one handler runs on one event: claimed, run, and recorded; retried with backoff; failed runs kept."""

from __future__ import annotations

import logging
from collections.abc import Callable

from celery import Task, shared_task

from events import services
from events.models import Event

logger = logging.getLogger(__name__)

HandlerFunction = Callable[[Event], None]


def event_handler(function: HandlerFunction) -> Task:
    """Make `function(event)` a Celery task that handles one event.

    The function must be idempotent: an event may be delivered twice (a retry after a crash, the sweep re-sending
    a message it believes lost). A run that already succeeded, or was given up, is not run again.
    """

    @shared_task(
        bind=True,
        name=f"{function.__module__}.{function.__name__}",
        acks_late=True,
        reject_on_worker_lost=True,
        max_retries=None,  # HandlerRun.attempts decides, so the count survives a re-send by the sweep
    )
    def run_handler(task: Task, event_id: int) -> None:
        run = services.handler_run_start(event_id=event_id, handler=task.name)
        if run is None:
            return
        try:
            function(run.event)
        except Exception as error:  # any failure is recorded, then retried or given up; never lost silently
            delay = services.handler_run_failed(run=run, error=error)
            if delay is None:
                logger.error("event handler %s gave up on event %s", task.name, event_id, exc_info=error)
                return
            logger.warning("event handler %s failed on event %s; retry in %.0f s", task.name, event_id, delay)
            raise task.retry(exc=error, countdown=delay) from error
        services.handler_run_succeeded(run=run)

    run_handler.__doc__ = function.__doc__
    return run_handler
