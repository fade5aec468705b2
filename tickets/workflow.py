"""The ticket status workflow: which status may follow which, in one table."""

from __future__ import annotations

from tickets.models import Status

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.RESOLVED, Status.CLOSED}),
    Status.OPEN: frozenset({Status.PENDING, Status.RESOLVED, Status.CLOSED}),
    Status.PENDING: frozenset({Status.OPEN, Status.RESOLVED, Status.CLOSED}),
    Status.RESOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset({Status.OPEN}),
}

# A requester's public reply to a ticket in one of these statuses moves it back to open.
REOPENED_BY_REQUESTER_REPLY = frozenset({Status.PENDING, Status.RESOLVED})


def is_allowed_transition(old: str, new: str) -> bool:
    return new in ALLOWED_TRANSITIONS.get(old, frozenset())
