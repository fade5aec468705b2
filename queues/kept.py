"""What the staff queue keeps a short while in the shared cache: every view's count, and the pages agents load.

Every page of the staff queue shows how many tickets each view has, its own count and 50 rows. Counting is one query
(queues.selectors.capped_counts) but building a dozen views' querysets and running it cost more than the rest of the
page; a page of rows is a query, three more for its tags, clocks and ratings, and 50 rows written as HTML. Agents
reload the queue far more often than tickets change. So the cache (Redis, or the database cache) keeps, for each
agent, read together in one round trip:

- the counts, one entry per agent (a view can mean "mine" or "my teams");
- a page as shown (queues.display.ShownPage: its rows' HTML and the links around it), one entry per agent and per
  page: the filters as sent, the cursor and the time zone its times were written in (`page_key`).

Both are:

- tagged with the queue generation, a number bumped after every committed ticket change (`queue_outdated`, called by
  tickets.services.audit.record_event, through which every ticket change goes, and by the services that change what
  the queue shows without one: SLA clocks, satisfaction surveys): nothing kept before a change is shown after it;
- kept for QUEUE_COUNTS_SECONDS at most, which bounds what changes with time alone or without a ticket change: the
  "recently solved" window, SLA clocks falling due, a row's relative times ("5m"), team membership, a renamed person.

The generation is read before counting or reading a page, so what is made while a change commits is kept under the
older number and never read again. A cache that is down reads as a miss and keeps nothing: the page is made as it
would be without it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Model, QuerySet

from queues.display import ShownPage
from queues.selectors import capped_counts

logger = logging.getLogger(__name__)

GENERATION_KEY = "queues:generation"


def _counts_key(user_id: int) -> str:
    return f"queues:counts:{user_id}"


def page_key(user_id: int, inputs: Sequence[Any]) -> str:
    """A page's key: the agent's, and the inputs (plain values, as JSON) that decide what the page shows."""
    digest = hashlib.sha256(json.dumps(inputs).encode()).hexdigest()[:32]
    return f"queues:page:{user_id}:{digest}"


def _fresh_generation() -> int:
    """A starting number unlike any an evicted generation had: what was kept under that one is never read."""
    return secrets.randbelow(2**52)


def queue_outdated() -> None:
    """Ticket data changed: once the transaction commits, no count or page kept before it is shown again."""
    transaction.on_commit(queue_generation_bump)


def queue_generation_bump() -> None:
    # After a commit: a failing cache must not turn a saved change into an error page.
    try:
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:  # not there (never made, or evicted): any fresh number outdates everything kept
            cache.add(GENERATION_KEY, _fresh_generation(), timeout=None)
    except Exception:
        logger.warning("queues.generation_bump_failed", exc_info=True)


def conditions_count_key(prefix: str, conditions: Mapping[str, str]) -> str:
    """A count's key for a set of conditions: the same conditions are the same count (for one agent)."""
    digest = hashlib.sha256(json.dumps(conditions, sort_keys=True).encode()).hexdigest()[:24]
    return f"{prefix}:{digest}"


@dataclass
class Kept:
    """What the cache holds for one page of an agent's, still valid: counts by key → (count, expiry in time.time()
    seconds), and the page itself when it was kept."""

    user_id: int
    generation: int | None  # None: no generation to keep anything under (the cache did not answer)
    page_key: str | None = None
    counts: dict[str, tuple[int, float]] = field(default_factory=dict)
    page: ShownPage | None = None

    def count(self, key: str, now: float) -> int | None:
        kept = self.counts.get(key)
        return kept[0] if kept is not None and kept[1] > now else None


def kept_for(user_id: int, *, page_key: str | None = None, now: float | None = None) -> Kept:
    """The agent's counts, and the page under `page_key`, still valid at `now`: one cache round trip."""
    now = time.time() if now is None else now
    counts_key = _counts_key(user_id)
    found = cache.get_many([GENERATION_KEY, counts_key, *([page_key] if page_key else [])]) or {}
    generation = found.get(GENERATION_KEY)
    if generation is None:
        fresh = _fresh_generation()
        return Kept(user_id, fresh if cache.add(GENERATION_KEY, fresh, timeout=None) else None, page_key)
    return Kept(
        user_id,
        generation,
        page_key,
        counts=_valid_counts(found.get(counts_key), generation, now),
        page=_valid_page(found.get(page_key), generation, now) if page_key else None,
    )


def _of_generation(entry: Any, generation: int) -> bool:
    """Whether a kept entry was kept under `generation` (anything kept before a change was, under an older one)."""
    return isinstance(entry, dict) and entry.get("generation") == generation


def _valid_counts(entry: Any, generation: int, now: float) -> dict[str, tuple[int, float]]:
    if not _of_generation(entry, generation):
        return {}
    return {name: (count, until) for name, (count, until) in entry["counts"].items() if until > now}


def _valid_page(entry: Any, generation: int, now: float) -> ShownPage | None:
    if not _of_generation(entry, generation) or entry.get("until", 0) <= now:
        return None
    try:
        return ShownPage(**entry["page"])
    except (KeyError, TypeError):  # kept by a release whose page had other fields: made again
        return None


def _seconds() -> int:
    return settings.QUEUE_COUNTS_SECONDS


def counts_keep(kept: Kept, new: Mapping[str, int], *, now: float) -> None:
    """Add `new` counts, each valid for QUEUE_COUNTS_SECONDS from `now`; those kept before keep their own expiry."""
    if kept.generation is None or _seconds() <= 0:
        return
    until = now + _seconds()
    kept.counts.update((name, (count, until)) for name, count in new.items())
    entry = {"generation": kept.generation, "counts": kept.counts}
    cache.set(_counts_key(kept.user_id), entry, timeout=_seconds())


def page_keep(kept: Kept, page: ShownPage, *, now: float) -> None:
    """Keep `page` under the generation read before it was made, for QUEUE_COUNTS_SECONDS from `now`."""
    if kept.generation is None or kept.page_key is None or _seconds() <= 0:
        return
    entry = {"generation": kept.generation, "until": now + _seconds(), "page": asdict(page)}
    cache.set(kept.page_key, entry, timeout=_seconds())


def counts_of(kept: Kept, wanted: Mapping[str, Callable[[], QuerySet[Model]]], *, now: float) -> dict[str, int]:
    """The capped count of each wanted queryset by key: kept, or counted in one query (the querysets of the counts
    found are never built) and kept."""
    counts = {key: kept.count(key, now) for key in wanted}
    missing: Sequence[str] = [key for key, count in counts.items() if count is None]
    if missing:
        counted = dict(zip(missing, capped_counts([wanted[key]() for key in missing]), strict=True))
        counts.update(counted)
        counts_keep(kept, counted, now=now)
    return counts  # type: ignore[return-value]  # every None was replaced above
