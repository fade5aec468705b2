"""The views every agent has: what Zendesk and Zammad users expect in the sidebar, defined as ticket filters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from queues.models import Sort
from tickets.models import OPEN_STATUSES, Status

OPEN = ",".join(OPEN_STATUSES)
RECENTLY_DAYS = 7


@dataclass(frozen=True)
class BuiltinView:
    key: str
    name: str
    # The conditions as of `now`. "Recently solved" is a moving window, but in words that move by themselves
    # (`updated_within`, counted back when the tickets are read), so a view saved from it keeps moving.
    conditions_at: Callable[[datetime], dict[str, str]]
    sort: str = Sort.NEWEST
    # Conditions with the same values for every agent at every moment (statuses; no person, team or time): a page of
    # them, in any sort, is read with a prepared statement (helpdesk.sql.prepared_statements).
    same_values: bool = False


def _fixed(**conditions: str) -> Callable[[datetime], dict[str, str]]:
    return lambda now: dict(conditions)


BUILTIN_VIEWS: tuple[BuiltinView, ...] = (
    BuiltinView("mine", "My open", _fixed(status=OPEN, assignee="me")),
    BuiltinView("unassigned", "Unassigned", _fixed(status=OPEN, assignee="none"), same_values=True),
    BuiltinView("team", "My team's", _fixed(status=OPEN, my_teams="true")),
    BuiltinView("open", "All open", _fixed(status=OPEN), same_values=True),
    BuiltinView("pending", "Pending", _fixed(status=Status.PENDING), same_values=True),
    BuiltinView(
        "solved",
        "Recently solved",
        _fixed(status=f"{Status.RESOLVED},{Status.CLOSED}", updated_within=str(RECENTLY_DAYS)),
        Sort.UPDATED,
    ),
    BuiltinView("breached", "SLA breached", _fixed(status=OPEN, sla="breached")),
    BuiltinView("due_soon", "SLA due soon", _fixed(status=OPEN, sla="due_soon")),
)
BUILTIN_BY_KEY = {view.key: view for view in BUILTIN_VIEWS}
DEFAULT_VIEW = BUILTIN_BY_KEY["open"]
