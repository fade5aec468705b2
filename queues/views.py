"""The staff queue's pages: the queue itself with its sidebar of views, saving and ordering views, bulk actions,
and the CSV export of what the queue shows."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods

from accounts.models import User
from helpdesk.decorators import staff_required
from helpdesk.errors import DomainError
from helpdesk.forms import PageForm, new_submit_token
from helpdesk.idempotency import page_post_once
from helpdesk.sql import CompiledQuery, objects_together, prepared_statements
from queues import export
from queues.builtin import BUILTIN_BY_KEY, BUILTIN_VIEWS
from queues.display import ShownPage
from queues.export import csv_lines, export_rows
from queues.forms import BULK_LIMIT, BulkForm, QueueFilter, SaveViewForm
from queues.kept import Kept, conditions_count_key, counts_of, kept_for, page_keep, page_key
from queues.keyset import BadCursor, keyset_page
from queues.models import SavedView
from queues.query import QueueQuery, conditions_of, queue_query, sort_of
from queues.selectors import count_text, queue_rows, saved_views_for, searched_count, shown_conditions
from queues.services import saved_view_create, saved_view_delete, saved_view_move, tickets_bulk_update
from tickets.conditions import tickets_matching
from tickets.filters import ID_PATTERN
from tickets.forms import SORT_ORDERINGS
from tickets.models import Category, Team, Ticket
from tickets.permissions import is_staff_member
from tickets.selectors import categories_visible_to, searched_columns, sees_every_ticket, tickets_visible_to

QUEUE_PAGE_SIZE = 50
# A refused bulk form as it was sent, kept for the queue page the agent is sent back to, which shows it (its ticks and
# values) once, to be corrected and sent again.
BULK_REFUSED_SESSION_KEY = "queue_bulk_refused"


def queue_filter(request: HttpRequest, query: QueueQuery, *, options: PageOptions | None = None) -> QueueFilter:
    options = options or PageOptions.of(request.user)
    return QueueFilter(
        query.data,
        queryset=tickets_visible_to(request.user),
        request=request,
        agents=options.agents,
        teams=options.teams,
        categories=options.categories,
    )


@dataclass(frozen=True)
class PageOptions:
    """The rows the queue's forms list as options, each read once for all the forms of a page."""

    agents: Sequence[User] | QuerySet[User]
    teams: Sequence[Team] | QuerySet[Team]
    categories: Sequence[Category] | QuerySet[Category]

    @classmethod
    def of(cls, user: User) -> PageOptions:
        return cls(agents=User.objects.staff(), teams=Team.objects.all(), categories=categories_visible_to(user))

    def shown(self) -> tuple[tuple[tuple[int, str], ...], ...]:
        """What the forms' selects show of these rows, each as (id, label): the key the forms' HTML is kept under."""
        return (_shown(self.agents), _shown(self.teams), _shown(self.categories))

    @classmethod
    def listed(cls, user: User) -> tuple[PageOptions, Sequence[Team]]:
        """The rows for a page's selects only, and the teams the agent may share a view with: the columns they show,
        read by queries compiled once per process and sent together (a form that changes tickets reads `of`)."""
        own_teams = () if user.is_superuser else (_LISTED_OWN_TEAMS.call(user.pk),)
        agents, teams, categories, *own = objects_together(
            _LISTED_AGENTS.call(),
            _LISTED_TEAMS.call(),
            _LISTED_CATEGORIES.call(variant=is_staff_member(user), user=user),
            *own_teams,
        )
        return cls(agents=agents, teams=teams, categories=categories), own[0] if own else teams


def _shown(rows: Iterable[User | Team | Category]) -> tuple[tuple[int, str], ...]:
    """Each row as a select lists it: its id and its label (`str`, as a model choice field labels it)."""
    return tuple((row.pk, str(row)) for row in rows)


def _listed_agents() -> QuerySet[User]:
    return User.objects.staff().only("id", "name", "email")


def _listed_teams() -> QuerySet[Team]:
    return Team.objects.only("id", "name")


def _listed_categories(*, variant: bool, user: User) -> QuerySet[Category]:
    # The variant: whether `user` is staff, the one thing categories_visible_to asks of them.
    return categories_visible_to(user).select_related(None).only("id", "name")


_LISTED_AGENTS = CompiledQuery(_listed_agents)
_LISTED_TEAMS = CompiledQuery(_listed_teams)
_LISTED_CATEGORIES = CompiledQuery(_listed_categories)


def encoded_query(filterset: QueueFilter) -> str:
    """The page's filters as a query string, for the forms that act on "all tickets matching" them."""
    return urlencode({**conditions_of(filterset), "sort": sort_of(filterset)})


def sidebar(
    user: User,
    page: tuple[str, Callable[[], QuerySet[Ticket]]] | None,
    *,
    kept: Kept,
    now: datetime,
    current: str | None,
) -> tuple[dict[str, list[dict[str, Any]]], int | None]:
    """Every view with its count, and the count of the page's tickets (when given, as its key and a function building
    its queryset): each capped so no count reads a whole large table, kept a short while in the cache
    (queues/kept.py), and those not kept counted in one query."""
    visible = tickets_visible_to(user)
    saved_views = saved_views_for(user)
    wanted: dict[str, Callable[[], QuerySet[Ticket]]] = {}
    for builtin_view in BUILTIN_VIEWS:
        # The built-in views' conditions are fixed but for "recently solved", a window moving with `now`: keyed by name.
        wanted[f"view:{builtin_view.key}"] = partial(
            tickets_matching, builtin_view.conditions_at(now), visible, user=user
        )
    saved_conditions = [shown_conditions(view.conditions) for view in saved_views]
    saved_keys = [conditions_count_key("conditions", conditions) for conditions in saved_conditions]
    for conditions, key in zip(saved_conditions, saved_keys, strict=True):
        wanted[key] = partial(tickets_matching, conditions, visible, user=user)
    if page is not None:
        own_key, tickets = page
        wanted[own_key] = tickets
    counts = counts_of(kept, wanted, now=now.timestamp())
    builtin = [
        {
            "key": view.key,
            "name": view.name,
            "count": count_text(counts[f"view:{view.key}"]),
            "current": view.key == current,
        }
        for view in BUILTIN_VIEWS
    ]
    saved = [
        {
            "key": str(view.pk),
            "name": view.name,
            "count": count_text(counts[key]),
            "current": str(view.pk) == current,
            "shared_by": None if view.owner_id == user.pk else view.owner.display_name,
            "team": view.team,
        }
        for view, key in zip(saved_views, saved_keys, strict=True)
    ]
    return {"builtin": builtin, "saved": saved}, counts[page[0]] if page is not None else None


def _same_values(filterset: QueueFilter, user: User, now: datetime) -> bool:
    """Whether the page's query holds the same values on every request but its position: the conditions of a
    built-in view whose conditions are fixed (in any sort), for an agent who sees every ticket."""
    conditions = conditions_of(filterset)
    fixed = any(view.same_values and view.conditions_at(now) == conditions for view in BUILTIN_VIEWS)
    return fixed and sees_every_ticket(user)


def _form_values(form: forms.BaseForm) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each of a bound form's fields with its values as sent (a page's other parameters, such as its cursor, are
    not among them)."""
    return tuple((name, tuple(form.data.getlist(form.add_prefix(name)))) for name in form.fields)


def _form_shown(form: forms.BaseForm, shown: tuple[Any, ...], values: tuple[Any, ...]) -> tuple[Any, ...]:
    """Everything a bound form's HTML shows: the options, its fields' `values` and the errors they got."""
    errors = tuple((name, tuple(messages)) for name, messages in form.errors.items())
    return (shown, values, errors)


def _builtin_view(query: QueueQuery) -> str | None:
    """The key of the built-in view the page shows, if it shows one: what its count and its page are kept under (its
    conditions can move with the time, as "recently solved"'s window does; the page is kept seconds only)."""
    return query.view_key if query.view_key in BUILTIN_BY_KEY and query.saved_view is None else None


def _page_filters(query: QueueQuery, values: tuple[Any, ...]) -> str | tuple[Any, ...]:
    """What decides a page's rows, with the agent, its cursor and the time zone: a built-in view by its name,
    anything else by its filters' `values` as sent."""
    view = _builtin_view(query)
    return values if view is None else f"view:{view}"


def page_count_key(query: QueueQuery, filterset: QueueFilter) -> str:
    """The key the page's own count is kept under: a built-in view by its name, anything else by its conditions (the
    status the page adds when none is chosen included)."""
    view = _builtin_view(query)
    return conditions_count_key("page", conditions_of(filterset)) if view is None else f"page-view:{view}"


@require_http_methods(["GET"])
@login_required
@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    query = queue_query(request.GET, user=request.user, now=now)
    if query.unknown_view:
        messages.error(request, "That view does not exist or is not shared with you; here is the default one.")
    options, own_teams = PageOptions.listed(request.user)
    filterset = queue_filter(request, query, options=options)
    shown = options.shown()
    values = _form_values(filterset.form)
    cursor = request.GET.get("cursor")
    refused = _refused_bulk_form(request, options)
    ticked = _ticked(refused)
    inputs = [_page_filters(query, values), cursor, timezone.get_current_timezone_name()]
    kept = kept_for(request.user.pk, page_key=page_key(request.user.pk, inputs), now=now.timestamp())
    page = None if ticked else kept.page  # the kept page is every visit's: none of its rows is ticked
    if page is None:
        page, valid_cursor = _page(request, filterset, cursor, now=now, ticked=ticked)
        if valid_cursor and not ticked:
            page_keep(kept, page, now=now.timestamp())
    page_count = None if page.searched else (page_count_key(query, filterset), lambda: filterset.qs)
    views, total = sidebar(request.user, page_count, kept=kept, now=now, current=query.view_key)
    if total is None:  # a text search's count is read off its page
        total = searched_count(page, size=QUEUE_PAGE_SIZE)
        count = count_text(total, cap=QUEUE_PAGE_SIZE)
    else:
        count = count_text(total)
    context = {
        "filter": filterset,
        "page": page,
        "count": count,
        "count_value": total,
        "title": query.title,
        "query": query,
        "views": views,
        "view_param": {"view": query.view_key} if query.view_key else {},
        "encoded_query": encoded_query(filterset),
        # The forms' fields are the same HTML for every page with the same options (and, for the filters, the same
        # values and errors): the template keeps it ({% cache %}, in this process's memory) under those as its key, so
        # the bulk-action and save-view forms are built only when it is not kept.
        "save_form": SimpleLazyObject(lambda: SaveViewForm(teams=_own_teams(request.user), listed=own_teams)),
        "save_shown": _shown(own_teams),
        "save_token": new_submit_token(),  # outside the kept HTML: a new one on every page
        "bulk_form": SimpleLazyObject(lambda: bulk_form(request, options=options)) if refused is None else refused,
        "bulk_shown": shown if refused is None else _form_shown(refused, shown, _form_values(refused)),
        "bulk_refused": refused is not None,
        "cursor": cursor,
        "filter_shown": _form_shown(
            filterset.form, (*shown, filterset.former_assignee, filterset.condition_labels), values
        ),
        "export_url": _export_url(query, filterset),
    }
    return render(request, "staff/queue.html", context)


def _page(
    request: HttpRequest, filterset: QueueFilter, cursor: str | None, *, now: datetime, ticked: Collection[int] = ()
) -> tuple[ShownPage, bool]:
    """The page of the filters' tickets at `cursor` (the rows in `ticked` ticked), and whether the cursor was valid
    (one that is not shows the first page, with a message saying so)."""
    tickets = filterset.qs
    ordering = SORT_ORDERINGS[sort_of(filterset)]
    with prepared_statements(when=_same_values(filterset, request.user, now)):
        try:
            page = keyset_page(queue_rows(tickets), ordering, cursor=cursor, size=QUEUE_PAGE_SIZE)
            valid_cursor = True
        except BadCursor:
            messages.error(request, "That page link is out of date; here is the first page.")
            page = keyset_page(queue_rows(tickets), ordering, cursor=None, size=QUEUE_PAGE_SIZE)
            valid_cursor = False
    return ShownPage.of(page, now=now, searched=bool(searched_columns(tickets)), ticked=ticked), valid_cursor


# Why a form naming a view the agent no longer sees (`_filters_from`) is refused: "The view was not saved: …".
VIEW_GONE = "the view it was based on no longer exists or is not shared with you."


def _filters_from(encoded: str, request: HttpRequest) -> QueueFilter | None:
    """The queue's filters sent back by a form ("save this view", "all matching"), parsed as the page parses them;
    None when they name a view the agent no longer sees (deleted or unshared since the form's page was loaded): the
    page showed that view's filters, gone with it, and the default view's that the page now shows in its place are
    not what the agent acted on."""
    query = queue_query(QueryDict(encoded), user=request.user, now=timezone.now())
    return None if query.unknown_view else queue_filter(request, query)


@require_http_methods(["POST"])
@login_required
@staff_required
def saved_view_create_page(request: HttpRequest) -> HttpResponse:
    """The form's one-time token makes the same form sent twice (a double click) save one view."""
    form = SaveViewForm(request.POST, teams=_own_teams(request.user))
    if not form.is_valid():
        messages.error(request, "The view was not saved: " + _errors_text(form))
        return redirect(_queue_url(request.POST.get("query", "")))
    saved = page_post_once(
        request,
        # Written by the page itself, outside its kept HTML (`save_token`); not a field of the form, which is kept.
        token=request.POST.get("submit_token", ""),
        post=lambda: _save_view(request, form),
        sent_already="This view was already saved; it was not saved again.",
    )
    return saved or redirect(_queue_url(form.cleaned_data["query"]))


def _save_view(request: HttpRequest, form: SaveViewForm) -> HttpResponse | None:
    """Save the view and show it; None when the service refused it, with the reason in a message."""
    filterset = _filters_from(form.cleaned_data["query"], request)
    if filterset is None:
        messages.error(request, f"The view was not saved: {VIEW_GONE}")
        return None
    try:
        view = saved_view_create(
            owner=request.user,
            name=form.cleaned_data["name"],
            conditions=conditions_of(filterset),
            sort=sort_of(filterset),
            team=form.cleaned_data["team"],
        )
    except DomainError as error:
        messages.error(request, f"The view was not saved. {_refusal_text(error)}")
        return None
    shared = f", shared with {view.team}" if view.team else ""
    messages.success(request, f"Saved the view “{view.name}”{shared}.")
    return redirect(f"{reverse('staff_queue')}?{urlencode({'view': view.pk})}")


@require_http_methods(["GET"])
@login_required
@staff_required
def saved_views_page(request: HttpRequest) -> HttpResponse:
    views = saved_views_for(request.user)
    own = [view for view in views if view.owner_id == request.user.pk]
    shared = [view for view in views if view.owner_id != request.user.pk]
    return render(request, "queues/saved_views.html", {"own": own, "shared": shared})


@require_http_methods(["POST"])
@login_required
@staff_required
def saved_view_move_page(request: HttpRequest, pk: int) -> HttpResponse:
    view = _own_view(request, pk)
    saved_view_move(view=view, actor=request.user, up=request.POST.get("direction") == "up")
    return redirect("saved_views")


@require_http_methods(["POST"])
@login_required
@staff_required
def saved_view_delete_page(request: HttpRequest, pk: int) -> HttpResponse:
    view = _own_view(request, pk)
    saved_view_delete(view=view, actor=request.user)
    messages.success(request, f"Deleted the view “{view.name}”.")
    return redirect("saved_views")


def _export_url(query: QueueQuery, filterset: QueueFilter) -> str:
    """The export of what the page shows: the view by its key (so "recently" is counted when exporting)."""
    params = {"view": query.view_key} if query.view_key else {**conditions_of(filterset), "sort": sort_of(filterset)}
    return f"{reverse('queue_export')}?{urlencode(params)}"


def _queue_url(encoded: str, *, cursor: str = "") -> str:
    """Back to the queue with the filters a form sent (and its page's cursor), re-encoded: nothing sent reaches a
    header as it was."""
    params = QueryDict(encoded[:4000], mutable=True)
    if cursor:
        params["cursor"] = cursor[:1000]
    return f"{reverse('staff_queue')}?{params.urlencode()}"


def _own_view(request: HttpRequest, pk: int) -> SavedView:
    """Another agent's view is a 404 here, shared or not: only its owner changes it."""
    return get_object_or_404(SavedView.objects.filter(owner=request.user), pk=pk)


def _own_teams(user: User) -> QuerySet[Team]:
    return Team.objects.all() if user.is_superuser else Team.objects.filter(members=user)


# The rows of `_own_teams` a page lists (for a superuser, every team: read for the page's other forms already).
_LISTED_OWN_TEAMS = CompiledQuery(lambda user_id: Team.objects.filter(members=user_id).only("id", "name"))


def _refusal_text(error: DomainError) -> str:
    """A service's refusal with each problem its details name, as the API's error body lists them: "The view is not
    valid. created_after: Enter a valid date/time." (a view's conditions name their filter in their messages)."""
    problems = [
        message if name == "conditions" else f"{name}: {message}"
        for name, messages_ in error.details.items()
        for message in messages_
    ]
    return " ".join([error.message, *problems])


def _errors_text(form: PageForm) -> str:
    return " ".join(str(message) for messages_ in form.errors.values() for message in messages_)


def bulk_form(request: HttpRequest, data: QueryDict | None = None, *, options: PageOptions | None = None) -> BulkForm:
    options = options or PageOptions.of(request.user)
    return BulkForm(
        data,
        agents=options.agents,
        teams=options.teams,
        categories=options.categories,
        tickets=tickets_visible_to(request.user),
    )


@require_http_methods(["POST"])
@login_required
@staff_required
def queue_bulk(request: HttpRequest) -> HttpResponse:
    form = bulk_form(request, request.POST)
    back = _queue_url(request.POST.get("query", ""))
    if not form.is_valid():
        messages.error(request, "Nothing was changed: " + _errors_text(form))
        return _bulk_refused(request)
    changes = form.changes(request.user)
    if changes.is_empty():
        messages.info(request, "Nothing was changed: choose what to change first.")
        return _bulk_refused(request)
    if form.cleaned_data["all_matching"]:
        filterset = _filters_from(form.cleaned_data["query"], request)
        if filterset is None:
            messages.error(request, f"Nothing was changed: {VIEW_GONE}")
            return _bulk_refused(request)
        ids = list(filterset.qs.order_by("id").values_list("pk", flat=True)[: BULK_LIMIT + 1])
        if len(ids) > BULK_LIMIT:
            messages.error(request, f"Nothing was changed: more than {BULK_LIMIT:,} tickets match. Narrow the filters.")
            return _bulk_refused(request)
    else:
        selected = form.cleaned_data["ticket"]
        ids = list(tickets_visible_to(request.user).filter(pk__in=selected).order_by("id").values_list("pk", flat=True))
    outcome = tickets_bulk_update(ticket_ids=ids, actor=request.user, changes=changes)
    context = {"outcome": outcome, "back": back, "asked": len(ids), "merge_into": changes.merge_into}
    return render(request, "queues/bulk_result.html", context)


@require_http_methods(["GET"])
@login_required
@staff_required
def queue_export(request: HttpRequest) -> StreamingHttpResponse:
    """The queue's view or filters as CSV, every matching ticket (not one page), in the view's order."""
    now = timezone.now()
    query = queue_query(request.GET, user=request.user, now=now)
    if query.unknown_view:
        raise Http404
    filterset = queue_filter(request, query)
    ordering = SORT_ORDERINGS[sort_of(filterset)]
    rows = export_rows(filterset.qs, ordering, chunk_size=export.EXPORT_CHUNK_SIZE)
    name = slugify(query.title) or "tickets"
    return StreamingHttpResponse(
        csv_lines(rows),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}-{now:%Y-%m-%d}.csv"'},
    )


def _bulk_refused(request: HttpRequest) -> HttpResponse:
    """Back to the queue page the bulk form was sent from, which shows the form again as it was sent."""
    request.session[BULK_REFUSED_SESSION_KEY] = {name: request.POST.getlist(name) for name in BulkForm.base_fields}
    return redirect(_queue_url(request.POST.get("query", ""), cursor=request.POST.get("cursor", "")))


def _refused_bulk_form(request: HttpRequest, options: PageOptions) -> BulkForm | None:
    """The bulk form refused just before, bound to what was sent, with its errors; None on any other visit."""
    sent = request.session.pop(BULK_REFUSED_SESSION_KEY, None)
    if not isinstance(sent, dict):
        return None
    data = QueryDict(mutable=True)
    for name, values in sent.items():
        data.setlist(name, values)
    form = bulk_form(request, data, options=options)
    form.is_valid()
    return form


def _ticked(form: BulkForm | None) -> frozenset[int]:
    """The rows the refused form had ticked: the ids among what was sent (an odd value may be what was refused)."""
    if form is None:
        return frozenset()
    return frozenset(int(value) for value in form.data.getlist("ticket") if re.fullmatch(ID_PATTERN, value))
