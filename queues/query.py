"""What the queue page shows: a view (built-in or saved) or the filters in the address, as one set of conditions.

The conditions are the ticket list's filters (`tickets.conditions`), the same words a saved view stores and the API
reads. A page with no status chosen shows the open statuses: the default never mixes in resolved or closed tickets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.http import QueryDict

from accounts.models import User
from queues.builtin import BUILTIN_BY_KEY, DEFAULT_VIEW
from queues.models import SavedView, Sort
from queues.selectors import saved_view_visible_to
from tickets.conditions import NOT_CONDITIONS, Conditions
from tickets.filters import TicketFilter
from tickets.models import OPEN_STATUSES

# Parameters of the page that are not filters.
PAGE_PARAMS = frozenset({"view", "cursor"})


@dataclass(frozen=True)
class QueueQuery:
    data: QueryDict  # the filter form's input
    title: str
    view_key: str | None  # the built-in view's key or the saved view's id, when the page shows one
    saved_view: SavedView | None = None
    unknown_view: bool = False


def form_data(conditions: Conditions, *, sort: str) -> QueryDict:
    """Stored conditions as the page's form input: the status list is a list of checkboxes there."""
    data = QueryDict(mutable=True)
    for name, value in conditions.items():
        if name == "status":
            data.setlist("status", [part for part in str(value).split(",") if part])
        else:
            data[name] = str(value)
    data["sort"] = sort
    return data


def _with_open_statuses(data: QueryDict) -> QueryDict:
    statuses = [part for value in data.getlist("status") for part in value.split(",") if part]
    data.setlist("status", statuses or list(OPEN_STATUSES))
    return data


def queue_query(params: QueryDict, *, user: User, now: datetime) -> QueueQuery:
    key = params.get("view", "")
    if key in BUILTIN_BY_KEY:
        view = BUILTIN_BY_KEY[key]
        data = form_data(view.conditions_at(now), sort=view.sort)
        return QueueQuery(_with_open_statuses(data), view.name, view.key)
    if key:
        saved = saved_view_visible_to(user, key)
        if saved is not None:
            data = form_data(saved.conditions, sort=saved.sort)
            return QueueQuery(_with_open_statuses(data), saved.name, str(saved.pk), saved_view=saved)
        default = _default(now)
        return QueueQuery(default.data, default.title, default.view_key, unknown_view=True)
    filters = params.copy()
    for name in PAGE_PARAMS:
        filters.pop(name, None)
    if not filters:
        return _default(now)
    return QueueQuery(_with_open_statuses(filters), "Filtered tickets", None)


def _default(now: datetime) -> QueueQuery:
    data = form_data(DEFAULT_VIEW.conditions_at(now), sort=DEFAULT_VIEW.sort)
    return QueueQuery(_with_open_statuses(data), DEFAULT_VIEW.name, DEFAULT_VIEW.key)


def conditions_of(filterset: TicketFilter) -> dict[str, str]:
    """The conditions of a bound filter form, as a view stores them: `{"status": "new,open", ...}`. An invalid one is
    kept as sent, so the forms acting on the page's tickets (all matching, export) match what it shows: none."""
    form = filterset.form
    form.is_valid()
    conditions = {}
    for name in TicketFilter.base_filters:
        if name in NOT_CONDITIONS:
            continue
        if name in form.cleaned_data and form.cleaned_data[name] in (None, "", [], ()):
            continue
        values = [value for value in filterset.data.getlist(name) if value != ""]
        if values:
            conditions[name] = ",".join(values)
    return conditions


def sort_of(filterset: TicketFilter) -> str:
    form = filterset.form
    form.is_valid()
    sort = form.cleaned_data.get("sort")
    return sort if sort in Sort.values else Sort.NEWEST
