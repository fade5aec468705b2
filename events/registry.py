"""Which handlers react to which event kinds.

Each app lists its own in `<app>/handlers.py` (found at start-up, like admin.py), for example::

    on(EventKind.COMMENT_ADDED, tasks.mail_people_concerned)

A handler is a Celery task made with `events.runner.event_handler`.
"""

from __future__ import annotations

from celery import Task

from events.models import EventKind

_handlers: dict[str, list[Task]] = {}


def on(kind: EventKind, *handlers: Task) -> None:
    registered = _handlers.setdefault(kind, [])
    for handler in handlers:
        if handler not in registered:
            registered.append(handler)


def handlers_for(kind: str) -> list[Task]:
    return list(_handlers.get(kind, ()))


def handler_names() -> set[str]:
    return {handler.name for handlers in _handlers.values() for handler in handlers}


def handler_named(name: str) -> Task | None:
    for handlers in _handlers.values():
        for handler in handlers:
            if handler.name == name:
                return handler
    return None
