"""Handlers for the events tests: one that records what it saw, one that fails until told otherwise."""

from __future__ import annotations

from events.models import Event
from events.runner import event_handler

seen: list[int] = []
failures_left: list[int] = [0]


@event_handler
def record_event(event: Event) -> None:
    seen.append(event.pk)


@event_handler
def fail_while_told(event: Event) -> None:
    if failures_left[0] > 0:
        failures_left[0] -= 1
        raise RuntimeError("downstream is down")
    seen.append(event.pk)
