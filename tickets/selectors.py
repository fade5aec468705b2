"""Read queries that need care: what a user may see, fetched without N+1 queries."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DateTimeField,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import IsNull

from csat.models import SatisfactionSurvey
from csat.selectors import surveys_prefetch
from helpdesk.sql import compiled_once
from sla.models import SlaClock
from sla.selectors import running_clocks_by_ticket, running_clocks_prefetch
from tickets.models import OPEN_STATUSES, Attachment, Category, Comment, Tag, Team, Ticket, TicketEvent
from tickets.naming import Named, Naming, by_pk
from tickets.permissions import (
    AnyUser,
    can_read_tickets_filed_under_own_address,
    can_see_internal,
    is_staff_member,
)


def tickets_visible_to(user: AnyUser) -> QuerySet[Ticket]:
    if is_staff_member(user):
        return Ticket.objects.all()
    if not can_read_tickets_filed_under_own_address(user):
        return Ticket.objects.none()
    return Ticket.objects.filter(requester=user)


def sees_every_ticket(user: AnyUser) -> bool:
    """Whether tickets_visible_to(user) filters nothing (staff, today). Queries built on it are then the same SQL for
    every such user, with no value of theirs in it: the staff ticket page's are compiled once (tickets/staff_page.py)
    and an unfiltered page of tickets is prepared (helpdesk.sql.prepared_statements). For anyone else they are
    compiled and planned on each request, so a narrower visibility (by team, say) can never be served another user's
    compiled query, nor a plan made for another user's values."""
    visible = tickets_visible_to(user).query
    return not visible.where and not visible.annotations and not visible.extra


def ticket_list_for(user: AnyUser) -> QuerySet[Ticket]:
    """Tickets for list pages and the API: related rows joined, tags prefetched, in a bounded number of queries."""
    return tickets_visible_to(user).select_related("requester", "assignee", "team", "category").prefetch_related("tags")


def tickets_requested_by(user: AnyUser) -> QuerySet[Ticket]:
    """The tickets `user` asked for ("My tickets"), newest first, each with `last_public_activity_at`: the newest entry
    of the timeline the requester sees (opened, a status change, a public reply). updated_at is not shown to them: an
    internal note or a triage edit moves it, which would tell them staff did something they may not see."""
    newest_public = (
        TicketEvent.objects.filter(ticket=OuterRef("pk"), internal=False).order_by("-created_at").values("created_at")
    )
    return (
        ticket_list_for(user)
        .filter(requester=user)
        .annotate(
            last_public_activity_at=Coalesce(Subquery(newest_public[:1]), F("created_at"), output_field=DateTimeField())
        )
        .order_by("-created_at", "-id")
    )


# The API list's columns: what TicketSerializer shows, read as plain values (tickets.serializers.ticket_list_data).
TICKET_LIST_COLUMNS = (
    "id",
    "subject",
    "description",
    "status",
    "priority",
    "category_id",
    "team_id",
    "requester_id",
    "assignee_id",
    "created_at",
    "updated_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "sender_verified",
    "merged_into_id",
)


@functools.cache
def ticket_row_extras(*, with_clocks: bool) -> Mapping[str, Any]:
    """Annotations for a page of ticket rows read as dicts: whether each has a satisfaction survey and (when shown)
    running SLA clocks, so that only the rows that have them are looked up (most have neither; with_running_clocks);
    on PostgreSQL the tags too, as an array: a round trip fewer on every page. Elsewhere tags are a query of their own.

    Compiled once per process (helpdesk.sql): compiling the three subqueries cost a list request more than its page
    query took to run. The list's queries are never nested in another, as compiled_once requires."""
    extra: dict[str, Any] = {"has_survey": compiled_once(Ticket, _has_survey, output_field=BooleanField())}
    if with_clocks:
        extra["has_running_clocks"] = compiled_once(Ticket, _has_running_clocks, output_field=BooleanField())
    if connection.vendor == "postgresql":
        extra["tag_names"] = compiled_once(Ticket, _tag_names, output_field=ArrayField(CharField()))
    return MappingProxyType(extra)


def _has_survey() -> IsNull:
    return _has_any(SatisfactionSurvey.objects.filter(ticket=OuterRef("pk")))


def _has_running_clocks() -> IsNull:
    return _has_any(SlaClock.objects.running().filter(ticket=OuterRef("pk")))


def _has_any(rows: QuerySet[Any]) -> IsNull:
    """Whether `rows` has one, as `(SELECT id ... LIMIT 1) IS NOT NULL` rather than EXISTS. PostgreSQL plans an EXISTS
    in the select list both as a lookup per row and as a hash of the whole table, and picks by the rows it expects to
    test before the page's LIMIT: for a filtered list it hashed the whole survey table on every page (every resolved
    ticket has a survey; at 10k tickets, 9,000 rows: 1.8 ms, where the rest of the query took 0.4 ms). A scalar
    subquery is planned one way only, as a lookup for each row it is evaluated for."""
    return IsNull(Subquery(rows.order_by().values("pk")[:1]), False)


def _tag_names() -> ArraySubquery:
    """Each link's tag name looked up by its key: written as a join, PostgreSQL spent longer planning it (joining
    the tags table for every row) than running the page query."""
    name = Subquery(Tag.objects.filter(pk=OuterRef("tag_id")).order_by().values("name"))
    links = Ticket.tags.through.objects.filter(ticket_id=OuterRef("pk")).annotate(name=name)
    return ArraySubquery(links.order_by("name").values("name"))


def searched_columns(tickets: QuerySet[Ticket]) -> list[str]:
    """`search_snippet` when TicketFilter's `q` annotated the tickets with it."""
    return ["search_snippet"] if "search_snippet" in tickets.query.annotations else []


def ticket_list_rows(user: AnyUser, *, with_clocks: bool) -> QuerySet[Ticket, dict[str, Any]]:
    """The list's columns as dicts, with ticket_row_extras, of the tickets `user` may see. The API list filters,
    orders and pages it; a text search's `search_snippet`, annotated after, joins each dict.

    For staff, who see every ticket (tickets_visible_to), the queryset is built once per process and cloned for each
    request: annotating it and naming its twenty columns cost a list request more than compiling its query did."""
    if is_staff_member(user):
        return _every_ticket_rows(with_clocks=with_clocks).all()
    return _rows_of(tickets_visible_to(user), with_clocks=with_clocks)


@functools.cache
def _every_ticket_rows(*, with_clocks: bool) -> QuerySet[Ticket, dict[str, Any]]:
    return _rows_of(Ticket.objects.all(), with_clocks=with_clocks)  # never evaluated itself: only its clones are


def _rows_of(tickets: QuerySet[Ticket], *, with_clocks: bool) -> QuerySet[Ticket, dict[str, Any]]:
    extra = ticket_row_extras(with_clocks=with_clocks)
    return tickets.annotate(**extra).values(*TICKET_LIST_COLUMNS, *extra)


@dataclass(frozen=True)
class TicketListExtras:
    """What a page of ticket rows shows beside its own columns, by ticket id."""

    tags: dict[int, list[str]]
    latest_surveys: dict[int, SatisfactionSurvey]


def ticket_list_extras(rows: Sequence[dict[str, Any]]) -> TicketListExtras:
    """For rows from ticket_list_rows: tags (by name) and the latest survey of each ticket, one query each at most
    (none for tags on PostgreSQL), whatever the page size. Their running SLA clocks are read by the page, as it shows
    them (with_running_clocks)."""
    if all("tag_names" in row for row in rows):
        tags = {row["id"]: row["tag_names"] for row in rows}
    else:
        tags = {row["id"]: [] for row in rows}
        through = Ticket.tags.through.objects.filter(ticket_id__in=list(tags))
        for ticket_id, name in through.order_by("tag__name").values_list("ticket_id", "tag__name"):
            tags[ticket_id].append(name)
    surveys: dict[int, SatisfactionSurvey] = {}
    with_surveys = [row["id"] for row in rows if row["has_survey"]]
    if with_surveys:
        for survey in SatisfactionSurvey.objects.filter(ticket_id__in=with_surveys).order_by("-resolved_at", "-id"):
            surveys.setdefault(survey.ticket_id, survey)
    return TicketListExtras(tags=tags, latest_surveys=surveys)


def with_running_clocks(rows: Sequence[dict[str, Any]]) -> list[int]:
    """The ids of the rows (from ticket_list_rows with clocks) that have running SLA clocks to read: most have none."""
    return [row["id"] for row in rows if row.get("has_running_clocks")]


def ticket_queue_for(user: AnyUser) -> QuerySet[Ticket]:
    """The staff queue's tickets: the list query, plus what staff see on each row (next SLA due time, rating)."""
    return ticket_list_for(user).prefetch_related(running_clocks_prefetch(), surveys_prefetch())


def ticket_page_for(user: AnyUser) -> QuerySet[Ticket]:
    """One ticket's page: the list query, plus the intake form's answers joined for the answers block."""
    return ticket_list_for(user).select_related("submission__version")


def staff_ticket_page_for(user: AnyUser) -> QuerySet[Ticket]:
    """ticket_page_for without the assignee, team and category rows, which the staff page shows only by id (in its
    selects, whose options are read on their own), each ticket saying whether it has running SLA clocks and
    satisfaction surveys: most have none of one or the other, and then staff_ticket_badges skips reading them.

    tickets.staff_page compiles its SQL once for all users who see every ticket: it must not depend on the user
    otherwise (tests/tickets/test_staff_page_compiled_queries.py checks)."""
    return (
        tickets_visible_to(user)
        .select_related("requester", "submission__version")
        .prefetch_related("tags")
        .annotate(
            has_running_clocks=compiled_once(Ticket, _has_running_clocks, output_field=BooleanField()),
            has_survey=compiled_once(Ticket, _has_survey, output_field=BooleanField()),
        )
    )


def staff_ticket_badges(ticket: Ticket) -> Ticket:
    """For a ticket from staff_ticket_page_for: what its row says it lacks is set as read, so the SLA and rating
    badges (sla_due, csat_badge) make no query for it, and its running clocks, when it has any, are read with a query
    compiled once (sla_due would have the ORM compile one on every view)."""
    has_clocks = getattr(ticket, "has_running_clocks", None)
    if has_clocks is not None:
        clocks = running_clocks_by_ticket([ticket.pk]) if has_clocks else {}
        ticket.running_sla_clocks = clocks.get(ticket.pk, [])  # type: ignore[attr-defined]
    if getattr(ticket, "has_survey", True) is False:
        ticket.latest_surveys = []  # type: ignore[attr-defined]
    return ticket


def comments_visible_to(user: AnyUser, ticket: Ticket) -> QuerySet[Comment]:
    comments = ticket.comments.select_related("author").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
    )
    if not can_see_internal(user):
        comments = comments.filter(internal=False)
    return comments


def events_visible_to(user: AnyUser, ticket: Ticket) -> QuerySet[TicketEvent]:
    events = ticket.events.select_related("actor")
    if not can_see_internal(user):
        events = events.filter(internal=False)
    return events


def attachments_visible_to(user: AnyUser) -> QuerySet[Attachment]:
    attachments = Attachment.objects.all()
    if is_staff_member(user):
        return attachments
    if not can_read_tickets_filed_under_own_address(user):
        return attachments.none()
    public = Q(comment__isnull=True) | Q(comment__internal=False)
    return attachments.filter(public, ticket__requester=user)


OPENING_FILES = "opening_files"


def opening_files_prefetch() -> Prefetch:
    """The files sent with a ticket's opening message (not with a reply or note), as `ticket.opening_files`."""
    return Prefetch("attachments", queryset=Attachment.objects.filter(comment__isnull=True), to_attr=OPENING_FILES)


def opening_files_of(ticket: Ticket) -> list[Attachment]:
    """`ticket`'s opening files: prefetched with opening_files_prefetch, or read now."""
    prefetched = getattr(ticket, OPENING_FILES, None)
    return prefetched if prefetched is not None else list(ticket.attachments.filter(comment__isnull=True))


@dataclass(frozen=True)
class Conversation:
    """What a ticket page shows of the conversation: the files sent with the opening message, and the comments,
    each with its author and its own files as `comment.files` (a list)."""

    opening_files: list[Attachment]
    comments: list[Comment]


# What includes/conversation.html (tickets.templatetags.conversation) shows of each comment and its author.
CONVERSATION_COLUMNS = (
    "ticket_id",
    "author_id",
    "body_html",
    "internal",
    "created_at",
    "author__name",
    "author__email",
)


def conversation_of(user: AnyUser, ticket: Ticket, comments: QuerySet[Comment] | None = None) -> Conversation:
    """The comments `user` may see (or `comments`, a narrower or annotated comments_visible_to) and every file shown
    with them and with the opening message: two queries, however long the conversation.

    Files are handed out as plain lists: a prefetch builds a queryset for each comment, which was a large part of
    loading a ticket with a hundred comments. Only the columns the conversation shows are read (CONVERSATION_COLUMNS):
    not the Markdown source, nor the authors' passwords and settings.
    """
    chosen = comments_visible_to(user, ticket) if comments is None else comments
    shown = list(chosen.prefetch_related(None).only(*CONVERSATION_COLUMNS))
    # The ticket's files, kept below only for the opening message and the comments shown. Filtering by the comments'
    # ids in SQL named each of them as a parameter: compiling that took longer than running it, a hundred comments on.
    files = ticket.attachments.all()
    if not can_see_internal(user):
        files = files.filter(Q(comment__isnull=True) | Q(comment__internal=False))
    shown_ids = {comment.pk for comment in shown}
    opening: list[Attachment] = []
    by_comment: dict[int, list[Attachment]] = {}
    for file in files.order_by("id"):
        if file.comment_id is None:
            opening.append(file)
        elif file.comment_id in shown_ids:
            by_comment.setdefault(file.comment_id, []).append(file)
    for comment in shown:
        comment.files = by_comment.get(comment.pk, [])  # type: ignore[attr-defined]
    return Conversation(opening_files=opening, comments=shown)


def categories_visible_to(user: AnyUser) -> QuerySet[Category]:
    categories = Category.objects.select_related("default_team")
    if not is_staff_member(user):
        categories = categories.active()
    return categories


REQUESTER_SIDEBAR_LIMIT = 10


# Open tickets first. One instance serves every request: the compiler resolves a copy of it.
_CLOSED_LAST = Case(When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField())


def requester_other_tickets(user: AnyUser, ticket: Ticket) -> list[Ticket]:
    """The requester's other tickets for the staff sidebar: open ones first, then the newest."""
    return list(requester_other_tickets_of(user, requester_id=ticket.requester_id, ticket_id=ticket.pk))


def requester_other_tickets_of(user: AnyUser, *, requester_id: int, ticket_id: int) -> QuerySet[Ticket]:
    """requester_other_tickets as a queryset of the two ids. tickets.staff_page compiles its SQL once for all users
    who see every ticket: it must not depend on the user otherwise."""
    others = (
        tickets_visible_to(user)
        .filter(requester_id=requester_id)
        .exclude(pk=ticket_id)
        .order_by(_CLOSED_LAST, "-created_at", "-id")
        .only("id", "subject", "status", "created_at")
    )
    return others[:REQUESTER_SIDEBAR_LIMIT]


def categories_naming(rows: Sequence[Named]) -> list[Naming]:
    """The categories, active or not, routing their new tickets to one of `rows` (teams; a category names no agent
    or other category)."""
    if not rows or not isinstance(rows[0], Team):
        return []
    named = by_pk(rows)
    categories = Category.objects.filter(default_team__in=rows).order_by("name", "pk")
    return [
        Naming(f"Category “{category.name}”", "routes to", named[category.default_team_id]) for category in categories
    ]
