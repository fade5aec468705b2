"""Read queries of the queue: a page's rows with what each line shows, capped counts, the views an agent sees."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import BooleanField, CharField, Model, OuterRef, Q, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Coalesce, Substr

from accounts.models import User
from forms_builder.models import Form
from helpdesk.sql import CompiledQuery, compiled_once
from queues.builtin import BUILTIN_BY_KEY
from queues.models import SavedView
from queues.permissions import can_use_views
from tickets.filters import ID_PATTERN
from tickets.models import OPEN_STATUSES, Comment, Team, Ticket
from tickets.selectors import searched_columns, ticket_row_extras

if TYPE_CHECKING:
    from queues.display import ShownPage

# Counts stop here: the page never counts a whole large table, it says "1,000+".
COUNT_CAP = 1000
PREVIEW_LENGTH = 160


def capped_counts(querysets: Sequence[QuerySet[Model]], *, cap: int = COUNT_CAP) -> list[int]:
    """How many rows each queryset has, counting at most `cap + 1` of each, all in one query:
    `SELECT (SELECT COUNT(*) FROM (… LIMIT cap + 1)), …`. The queue shows a count per view on every page: one round
    trip instead of one per view."""
    if not querysets:
        return []
    using = querysets[0].db
    columns, params = [], []
    for number, queryset in enumerate(querysets):
        capped = queryset.order_by().values("pk")[: cap + 1]
        try:
            sql, sql_params = capped.query.get_compiler(using=using).as_sql()
        except EmptyResultSet:  # a condition that matches nothing by construction (`pk__in=[]`)
            columns.append("0")
            continue
        # Django's own compiled SQL, its values still parameters.
        columns.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped_{number})")  # noqa: S608
        params.extend(sql_params)
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)}", params)
        return list(cursor.fetchone())


def count_text(count: int, *, cap: int = COUNT_CAP) -> str:
    return f"{intcomma(cap)}+" if count > cap else intcomma(count)


def searched_count(page: ShownPage, *, size: int) -> int:
    """A text search's count, read off its page rather than counted: the exact number when every match is on this
    page (no page before it or after it), otherwise one more than a page (shown as "50+" by count_text, `cap=size`).

    Counting a common word's matches, even up to a cap, walks the queue's tickets until it has found them, which
    grows with the table: at 1M tickets that took longer than the whole page at 10k (bench/README.md)."""
    if page.previous_cursor is None and page.next_cursor is None:
        return page.row_count
    return size + 1


# What a line of the queue shows (queues.display.QueueLine), read as plain values.
QUEUE_COLUMNS = (
    "id",
    "subject",
    "status",
    "priority",
    "created_at",
    "updated_at",
    "sender_verified",
    "requester__name",
    "requester__email",
    "assignee_id",
    "assignee__name",
    "assignee__email",
)


def queue_rows(tickets: QuerySet[Ticket]) -> QuerySet[Ticket, dict[str, Any]]:
    """The queue's lines as dicts: people joined, the last message's start, and what `ticket_list_extras` needs to
    fetch tags, running SLA clocks and ratings only for the rows that have them (tags in this query on PostgreSQL).

    The preview is a correlated subquery, evaluated only for the rows of the page. Staff see internal notes, so the
    last message may be one; the row marks it. Both subqueries are compiled once per process (helpdesk.sql), as
    ticket_row_extras' are: compiling them took longer than the rest of the page's query."""
    extra: dict[str, Any] = {
        "preview": compiled_once(Ticket, _preview, output_field=TextField()),
        "preview_internal": compiled_once(Ticket, _preview_internal, output_field=BooleanField()),
        **ticket_row_extras(with_clocks=True),
    }
    return tickets.annotate(**extra).values(*QUEUE_COLUMNS, *extra, *searched_columns(tickets))


def _last_message() -> QuerySet[Comment]:
    return Comment.objects.filter(ticket=OuterRef("pk")).order_by("-created_at", "-id")


def _preview() -> Coalesce:
    return Coalesce(
        Subquery(_last_message().annotate(start=Substr("body", 1, PREVIEW_LENGTH)).values("start")[:1]),
        Substr("description", 1, PREVIEW_LENGTH),
    )


def _preview_internal() -> Subquery:
    return Subquery(_last_message().values("internal")[:1])


def saved_views_visible_to(user: User | int) -> QuerySet[SavedView]:
    """The agent's own views and those shared with a team they are a member of (`user` or their id)."""
    teams = Team.objects.filter(members=user).values("pk")
    return SavedView.objects.filter(Q(owner=user) | Q(team__in=teams)).select_related("owner", "team")


# Read on every page of the queue: compiled once per process (compiling it cost more than running it).
_SAVED_VIEWS = CompiledQuery(saved_views_visible_to)


def saved_views_for(user: User) -> list[SavedView]:
    """The sidebar's order: the agent's own views in their order, then the ones others shared, by name."""

    def order(view: SavedView) -> tuple[bool, int, str, int]:
        own = view.owner_id == user.pk
        return (not own, view.position if own else 0, view.name.lower(), view.pk)

    return sorted(_SAVED_VIEWS.objects(user.pk), key=order)


def saved_view_visible_to(user: User, key: str) -> SavedView | None:
    """The saved view with this id (as text, from an address) if `user` sees it; None for any other text."""
    if not re.fullmatch(ID_PATTERN, key):
        return None
    return saved_views_visible_to(user).filter(pk=int(key)).first()


def shown_conditions(conditions: Mapping[str, str]) -> dict[str, str]:
    """A saved view's conditions as every list of it applies them (its page, its count in the sidebar, its tickets in
    the API): with the open statuses when they choose none, as a view saved through the API may, and as a queue
    page with no status chosen shows."""
    statuses = [part for part in str(conditions.get("status", "")).split(",") if part]
    return {**conditions, "status": ",".join(statuses or OPEN_STATUSES)}


@dataclass(frozen=True)
class ViewFilters:
    """A view as a ticket list applies it: its conditions (the ticket list's filters) and its sort."""

    conditions: Mapping[str, str]
    sort: str


def view_filters_for(user: User, key: str, *, now: datetime) -> ViewFilters | None:
    """A built-in view by its key or a saved view by its id, as `user` sees it at `now`.

    None for a view that does not exist, one not shared with `user`, and any view for a requester (views are a staff
    feature): callers answer all three alike, so nobody learns which ids exist."""
    if not can_use_views(user):
        return None
    if key in BUILTIN_BY_KEY:
        builtin = BUILTIN_BY_KEY[key]
        return ViewFilters(builtin.conditions_at(now), builtin.sort)
    saved = saved_view_visible_to(user, key)
    return ViewFilters(shown_conditions(saved.conditions), saved.sort) if saved is not None else None


@dataclass(frozen=True)
class NamedRow:
    """A row a condition names by its id, as the filter form shows it: a requester's name and address, a form's
    name (`detail` empty)."""

    name: str
    detail: str


def condition_rows(*, requester_id: int | None, form_id: int | None) -> dict[str, NamedRow]:
    """The requester and the intake form the queue's conditions name by id, by condition, read in one query (a union)
    for the page rather than one per row or per condition; an id no row has is left out."""
    text = CharField()
    parts: list[QuerySet[Any, tuple[Any, ...]]] = []
    if requester_id is not None:
        users = User.objects.filter(pk=requester_id).order_by()  # a compound query orders nothing inside
        parts.append(users.values_list("name", "email", Value("requester", output_field=text)))
    if form_id is not None:
        forms_ = Form.objects.filter(pk=form_id).order_by()
        parts.append(forms_.values_list("name", Value("", output_field=text), Value("form", output_field=text)))
    if not parts:
        return {}
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return {condition: NamedRow(name=name, detail=detail) for name, detail, condition in rows}
