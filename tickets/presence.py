"""Who has a ticket open, and who is typing on it: short-lived entries in the cache, never in the database.

One cache entry per ticket holds {user id: (name, typing, last seen)}. Each page load and each poll of the page's
script refreshes the caller's own line; lines older than PRESENCE_TTL seconds are dropped. Two polls landing at the
same instant can drop each other's line until the next poll (seconds later): good enough for a warning.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache

from accounts.models import User

PRESENCE_TTL = 30  # seconds a viewer stays listed after their last poll
POLL_SECONDS = 10  # how often the page's script reports (static/js/collision.js reads it from the page)


@dataclass(frozen=True)
class Viewer:
    user_id: int
    name: str
    typing: bool


def _key(ticket_id: int) -> str:
    return f"ticket-presence:{ticket_id}"


def presence_touch(*, ticket_id: int, user: User, typing: bool = False, now: float | None = None) -> list[Viewer]:
    """Record that `user` has the ticket open (and whether they are typing); return everyone else who has."""
    now = time.time() if now is None else now
    entries = _fresh(cache.get(_key(ticket_id)) or {}, now)
    entries[str(user.pk)] = {"name": user.display_name, "typing": bool(typing), "seen": now}
    cache.set(_key(ticket_id), entries, PRESENCE_TTL)
    return _others(entries, user)


def presence_leave(*, ticket_id: int, user: User) -> None:
    entries = cache.get(_key(ticket_id)) or {}
    if entries.pop(str(user.pk), None) is not None:
        cache.set(_key(ticket_id), entries, PRESENCE_TTL)


def _fresh(entries: dict[str, dict[str, object]], now: float) -> dict[str, dict[str, object]]:
    if not isinstance(entries, dict):
        return {}
    return {
        user_id: entry
        for user_id, entry in entries.items()
        if isinstance(entry, dict) and now - float(entry.get("seen", 0)) < PRESENCE_TTL  # type: ignore[arg-type]
    }


def _others(entries: dict[str, dict[str, object]], user: User) -> list[Viewer]:
    return sorted(
        (
            Viewer(user_id=int(user_id), name=str(entry["name"]), typing=bool(entry["typing"]))
            for user_id, entry in entries.items()
            if user_id != str(user.pk)
        ),
        key=lambda viewer: (not viewer.typing, viewer.name),
    )
