"""The queue's counts, kept a short while in the shared cache.

Every page of the staff queue shows how many tickets each view has, and its own count. Counting them is one query
(queues.selectors.capped_counts), but building a dozen views' querysets and running that query cost more than the
rest of the page on every reload, and agents reload the queue far more often than tickets change. So the counts are
kept in the cache (Redis, or the database cache), one entry per agent (a view can mean "mine" or "my teams"):

- tagged with the queue generation, a number bumped after every committed ticket change (`queue_counts_outdated`,
  called by tickets.services.audit.record_event, through which every ticket change goes, and by the SLA services
  where clocks change without an event): a count from before a change is never shown after it;
- each for QUEUE_COUNTS_SECONDS at most, which bounds what changes with time alone: the "recently solved" window,
  SLA clocks falling due, team membership.

The generation is read before counting, so a count made while a change commits is kept under the older number and
never read again. A cache that is down reads as a miss and keeps nothing: the page counts as it would without it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Model, QuerySet

from queues.selectors import capped_counts

logger = logging.getLogger(__name__)

GENERATION_KEY = "queues:counts-generation"


def _counts_key(user_id: int) -> str:
    return f"queues:counts:{user_id}"


def _fresh_generation() -> int:
    """A starting number unlike any an evicted generation had: counts kept under that one are never read."""
    return secrets.randbelow(2**52)


def queue_counts_outdated() -> None:
    """Ticket data changed: once the transaction commits, no count kept before it is shown again."""
    transaction.on_commit(queue_generation_bump)


def queue_generation_bump() -> None:
    # After a commit: a failing cache must not turn a saved change into an error page.
    try:
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:  # not there (never made, or evicted): any fresh number outdates every count kept
            cache.add(GENERATION_KEY, _fresh_generation(), timeout=None)
    except Exception:
        logger.warning("queues.counts_generation_bump_failed", exc_info=True)


def conditions_count_key(prefix: str, conditions: Mapping[str, str]) -> str:
    """A count's key for a set of conditions: the same conditions are the same count (for one agent)."""
    digest = hashlib.sha256(json.dumps(conditions, sort_keys=True).encode()).hexdigest()[:24]
    return f"{prefix}:{digest}"


@dataclass
class KeptCounts:
    """An agent's counts as the cache holds them: key → (count, expiry, in time.time() seconds)."""

    user_id: int
    generation: int | None  # None: no generation to keep counts under (the cache did not answer)
    counts: dict[str, tuple[int, float]] = field(default_factory=dict)

    def get(self, key: str, now: float) -> int | None:
        kept = self.counts.get(key)
        return kept[0] if kept is not None and kept[1] > now else None


def kept_counts(user_id: int, *, now: float) -> KeptCounts:
    """The agent's counts still valid at `now`: one cache round trip."""
    key = _counts_key(user_id)
    found = cache.get_many([GENERATION_KEY, key]) or {}
    generation = found.get(GENERATION_KEY)
    if generation is None:
        fresh = _fresh_generation()
        return KeptCounts(user_id, fresh if cache.add(GENERATION_KEY, fresh, timeout=None) else None)
    entry = found.get(key)
    if not isinstance(entry, dict) or entry.get("generation") != generation:
        return KeptCounts(user_id, generation)
    counts = {name: (count, until) for name, (count, until) in entry["counts"].items() if until > now}
    return KeptCounts(user_id, generation, counts)


def counts_keep(kept: KeptCounts, new: Mapping[str, int], *, now: float) -> None:
    """Add `new` counts, each valid for QUEUE_COUNTS_SECONDS from `now`; those kept before keep their own expiry."""
    seconds = settings.QUEUE_COUNTS_SECONDS
    if kept.generation is None or seconds <= 0:
        return
    until = now + seconds
    kept.counts.update((name, (count, until)) for name, count in new.items())
    entry = {"generation": kept.generation, "counts": kept.counts}
    cache.set(_counts_key(kept.user_id), entry, timeout=seconds)


def counts_of(
    user_id: int, wanted: Mapping[str, Callable[[], QuerySet[Model]]], *, now: float | None = None
) -> dict[str, int]:
    """The capped count of each wanted queryset by key: from the cache, or counted in one query (the querysets of
    the counts found are never built) and kept."""
    now = time.time() if now is None else now
    kept = kept_counts(user_id, now=now)
    counts = {key: kept.get(key, now) for key in wanted}
    missing: Sequence[str] = [key for key, count in counts.items() if count is None]
    if missing:
        counted = dict(zip(missing, capped_counts([wanted[key]() for key in missing]), strict=True))
        counts.update(counted)
        counts_keep(kept, counted, now=now)
    return counts  # type: ignore[return-value]  # every None was replaced above
