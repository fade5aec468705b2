"""Read queries of the queue: a page's rows with what each line shows, capped counts, the views an agent sees."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import Model, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Substr

from accounts.models import User
from csat.selectors import surveys_prefetch
from queues.builtin import BUILTIN_BY_KEY
from queues.models import SavedView
from queues.permissions import can_use_views
from sla.selectors import running_clocks_prefetch
from tickets.filters import ID_PATTERN
from tickets.models import Comment, Team, Ticket

# Counts stop here: the page never counts a whole large table, it says "1,000+".
COUNT_CAP = 1000
PREVIEW_LENGTH = 160


def capped_count(queryset: QuerySet[Model], *, cap: int = COUNT_CAP) -> int:
    """How many rows, counting at most `cap + 1` of them (`SELECT COUNT(*) FROM (… LIMIT cap + 1)`)."""
    return queryset.order_by().values("pk")[: cap + 1].count()


def count_text(count: int, *, cap: int = COUNT_CAP) -> str:
    return f"{intcomma(cap)}+" if count > cap else intcomma(count)


def queue_rows(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """The queue's lines: people joined; tags, running SLA clocks and ratings prefetched; the last message's start.

    The preview is a correlated subquery, evaluated only for the rows of the page. Staff see internal notes, so the
    last message may be one; the row marks it."""
    last = Comment.objects.filter(ticket=OuterRef("pk")).order_by("-created_at", "-id")
    return (
        tickets.select_related("requester", "assignee")
        .prefetch_related("tags", running_clocks_prefetch(), surveys_prefetch())
        .annotate(
            preview=Coalesce(
                Subquery(last.annotate(start=Substr("body", 1, PREVIEW_LENGTH)).values("start")[:1]),
                Substr("description", 1, PREVIEW_LENGTH),
            ),
            preview_internal=Subquery(last.values("internal")[:1]),
        )
    )


def saved_views_visible_to(user: User) -> QuerySet[SavedView]:
    """The agent's own views and those shared with a team they are a member of."""
    teams = Team.objects.filter(members=user).values("pk")
    return SavedView.objects.filter(Q(owner=user) | Q(team__in=teams)).select_related("owner", "team")


def saved_views_for(user: User) -> list[SavedView]:
    """The sidebar's order: the agent's own views in their order, then the ones others shared, by name."""

    def order(view: SavedView) -> tuple[bool, int, str, int]:
        own = view.owner_id == user.pk
        return (not own, view.position if own else 0, view.name.lower(), view.pk)

    return sorted(saved_views_visible_to(user), key=order)


def saved_view_visible_to(user: User, key: str) -> SavedView | None:
    """The saved view with this id (as text, from an address) if `user` sees it; None for any other text."""
    if not re.fullmatch(ID_PATTERN, key):
        return None
    return saved_views_visible_to(user).filter(pk=int(key)).first()


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
    return ViewFilters(saved.conditions, saved.sort) if saved is not None else None
