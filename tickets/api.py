"""REST API v1 for tickets, comments, events, categories and teams. Thin: selectors read, services write."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django_filters import FilterSet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action, api_view, content_negotiation_class
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from csat.selectors import surveys_prefetch
from helpdesk.conditional import if_match_etags, none_match
from helpdesk.errors import InvalidValue, NotPermitted
from helpdesk.filtersets import filterset_for_params, filterset_query_params
from helpdesk.idempotency import idempotent
from helpdesk.openapi import (
    BODY_ERRORS,
    ETAG,
    IDEMPOTENCY_KEY,
    IDEMPOTENT_REPLAYED,
    IF_MATCH,
    IF_NONE_MATCH,
    NOT_MODIFIED,
    TICKET_ID,
    errors,
    path_id,
)
from helpdesk.pagination import ById, NewestFirst, OldestFirst, refuse_query_params_not_read
from helpdesk.renderers import ErrorsInJsonNegotiation, times_as_fields
from helpdesk.sql import prepared_statements
from helpdesk.viewsets import PatchOnlyUpdateMixin, StrictQueryString
from queues.builtin import BUILTIN_VIEWS
from queues.selectors import ViewFilters
from sla.selectors import running_clock_values_by_ticket, running_clocks_prefetch
from tickets import permissions, selectors, services
from tickets.downloads import attachment_response
from tickets.etags import ticket_etag
from tickets.filters import (
    ASSIGNEE_PATTERN,
    ID_MAX,
    ID_PATTERN,
    SEARCH_MAX_CHARS,
    UPDATED_WITHIN_HELP,
    WITHIN_DAYS_MAX,
    TicketListFilter,
)
from tickets.forms import SORT_ORDERINGS
from tickets.models import Category, Channel, Comment, Team, Ticket, TicketEvent, TicketLink
from tickets.serializers import (
    CategorySerializer,
    CommentCreateSerializer,
    CommentSerializer,
    TeamSerializer,
    TicketCreateSerializer,
    TicketDetailSerializer,
    TicketEventSerializer,
    TicketLinkCreateSerializer,
    TicketLinkSerializer,
    TicketMergeSerializer,
    TicketSerializer,
    TicketUpdateSerializer,
    ticket_list_data,
)
from tickets.services.links import links_touching
from tickets.services.on_behalf import requester_find_or_create


class TicketOrdering(OrderingFilter):
    """`?ordering=priority,-created_at`; the id breaks ties so cursor pages never skip or repeat a ticket."""

    ordering_fields = ["created_at", "updated_at", "priority"]
    ordering_param = "ordering"

    def get_ordering(self, request: Request, queryset: QuerySet[Ticket], view: Any) -> list[str]:
        chosen = requested_view(view)
        if chosen is not None and self.ordering_param not in request.query_params:
            return list(SORT_ORDERINGS[chosen.sort])  # `?view=` without `ordering`: the view's own sort
        ordering = super().get_ordering(request, queryset, view) or ["-created_at"]
        tie_breaker = "-id" if ordering[0].startswith("-") else "id"
        return [*ordering, tie_breaker]

    def remove_invalid_fields(
        self, queryset: QuerySet[Ticket], fields: list[str], view: Any, request: Request
    ) -> list[str]:
        """DRF leaves out a field it cannot order by, and with none left orders by the default: here that is a 400,
        as a misspelt filter is (helpdesk/pagination.py), so `-priorty` is not silently another order."""
        valid = super().remove_invalid_fields(queryset, fields, view, request)
        if len(valid) != len(fields):
            choices = ", ".join(self.ordering_fields[:-1]) + f" or {self.ordering_fields[-1]}"
            raise ValidationError({self.ordering_param: [f"Order by {choices}; a leading - reverses the order."]})
        return valid


class TicketFilterBackend(DjangoFilterBackend):
    """django-filter builds a filterset per request (a form, a deep copy of every filter): here it holds only the
    filters the request names (helpdesk/filtersets.py), and a list asked for no filter at all is answered without
    one. The filterset stays on the view: the ordering reads `view`'s sort there."""

    def filter_queryset(self, request: Request, queryset: QuerySet[Ticket], view: APIView) -> QuerySet[Ticket]:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not names_a_filter(request, filterset_class):
            return queryset
        return super().filter_queryset(request, queryset, view)

    def get_filterset(self, request: Request, queryset: QuerySet[Ticket], view: APIView) -> FilterSet | None:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return None
        named = filterset_for_params(filterset_class, request.query_params)
        filterset = named(**self.get_filterset_kwargs(request, queryset, view))
        view.ticket_filterset = filterset
        return filterset


def names_a_filter(request: Request, filterset_class: type[FilterSet]) -> bool:
    """Whether the request's query string names one of the filters of `filterset_class`."""
    return not filterset_query_params(filterset_class).isdisjoint(request.query_params)


def requested_view(view: APIView) -> ViewFilters | None:
    """The view `?view=` named, once the filters have validated it (TicketFilterBackend runs them first)."""
    filterset = getattr(view, "ticket_filterset", None)
    if filterset is None or not filterset.is_valid():
        return None
    return filterset.form.cleaned_data.get("view")


def refuse_staff_only_fields(request: Request, fields: tuple[str, ...]) -> None:
    """A requester may not set triage fields: refuse the request rather than silently dropping them."""
    if permissions.can_triage_ticket(request.user) or not isinstance(request.data, Mapping):
        return  # a body that is not an object is refused by the serializer with a clear message
    sent = [name for name in fields if name in request.data]
    if sent:
        raise NotPermitted(
            "Only agents and admins may set these fields.",
            details={name: ["Only agents and admins may set this field."] for name in sent},
        )


def ticket_requester(request: Request, data: Mapping[str, Any]) -> User:
    """Who a new ticket is for: `requester`, the account of `requester_email` (created if new), or the caller."""
    if "requester_email" in data:
        requester, _ = requester_find_or_create(
            actor=request.user, email=data["requester_email"], name=data.get("requester_name", "")
        )
        return requester
    return data.get("requester") or request.user


class IsStaffMember(BasePermission):
    message = "Only agents and admins may do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return permissions.is_staff_member(request.user)


# Filter parameters whose type or meaning django-filter cannot tell the schema generator.
TICKET_LIST_PARAMETERS = [
    OpenApiParameter(
        name="assignee",
        type=str,
        pattern=ASSIGNEE_PATTERN,
        description="A user id, `me` (assigned to you) or `none` (unassigned).",
    ),
    OpenApiParameter(
        name="requester",
        type={"type": "integer", "minimum": 1, "maximum": ID_MAX},
        description="The requester's user id.",
    ),
    OpenApiParameter(
        name="updated_within",
        type={"type": "integer", "minimum": 1, "maximum": WITHIN_DAYS_MAX},
        description=UPDATED_WITHIN_HELP,
    ),
    OpenApiParameter(
        name="q",
        type={"type": "string", "maxLength": SEARCH_MAX_CHARS},
        description="Search: every word, in any order, in the subject, description, public replies, form answers, "
        "requester's name or address (also part of it: `alice@`, `example.com`), tags, and for agents and admins "
        'internal notes; `"a phrase"`, `-word` to leave out, `a or b` (`a or -b`: a, or anything without b); '
        "`#123` is ticket 123. English stop words (`a`, `the`) are not searched for; `vpn-drops` is the phrase "
        '"vpn drops"; a minus not before a word or quote is ignored. Each result then has a `snippet`.',
    ),
    OpenApiParameter(
        name="ordering",
        type=str,
        pattern=r"^-?(created_at|updated_at|priority)(,-?(created_at|updated_at|priority))*$",
        description="Comma-separated `created_at`, `updated_at`, `priority`; `-` in front for descending. "
        "Newest first by default, or the sort of the `view` asked for.",
    ),
    OpenApiParameter(
        name="view",
        type=str,
        pattern=rf"^({'|'.join(view.key for view in BUILTIN_VIEWS)}|{ID_PATTERN})$",
        description="Agents and admins: the tickets of a view — a built-in one by its key "
        f"({', '.join(f'`{view.key}`' for view in BUILTIN_VIEWS)}) or a saved view by its id (`GET /api/v1/views/`: "
        "your own, or one shared with a team you are a member of). Its conditions apply together with any other "
        "filter given (both must match), as `GET /api/v1/views/{id}/tickets/` finds them (a saved view with no "
        "`status` condition: new, open and pending, as on the queue page); `assignee=me` and "
        "`my_teams` in the view mean you. Without `ordering`, in the view's sort. An unknown view, one not shared "
        "with you, or any view asked for by a requester is a 400 naming `view`.",
    ),
]


@extend_schema_view(
    list=extend_schema(
        summary="List the tickets you may see",
        description="Requesters see their own tickets; agents and admins see every ticket. Newest first unless "
        "`ordering` says otherwise.",
        parameters=TICKET_LIST_PARAMETERS,
        responses={200: TicketSerializer, **errors(400, 404)},
    ),
    retrieve=extend_schema(
        summary="Read a ticket",
        parameters=[path_id("id", "The ticket's id."), IF_NONE_MATCH, ETAG],
        responses={200: TicketDetailSerializer, 304: NOT_MODIFIED, **errors(400, 404)},
    ),
    create=extend_schema(
        summary="Open a ticket",
        description="Requesters may send only `subject`, `description` and `category`; the other fields are for "
        "agents and admins, and a requester sending them is refused with 403.",
        parameters=[IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED],
        request={"application/json": TicketCreateSerializer},
        responses={201: TicketDetailSerializer, **errors(*BODY_ERRORS, 403, 409, 422)},
    ),
    partial_update=extend_schema(
        summary="Triage a ticket",
        description="Agents and admins only. Only the fields sent are changed. A status move the workflow does not "
        "allow is refused with 409 `invalid_transition`.",
        parameters=[path_id("id", "The ticket's id."), IF_MATCH, ETAG],
        request={"application/json": TicketUpdateSerializer},
        responses={200: TicketDetailSerializer, **errors(*BODY_ERRORS, 403, 404, 409, 412)},
    ),
)
class TicketViewSet(
    StrictQueryString,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    PatchOnlyUpdateMixin,
    viewsets.GenericViewSet,
):
    serializer_class = TicketDetailSerializer  # the list shapes its rows itself, as TicketSerializer would
    pagination_class = NewestFirst
    # Filters first: the ordering of `?view=` without `ordering` is the view's sort, known once the filters ran.
    filter_backends = [TicketFilterBackend, TicketOrdering]
    filterset_class = TicketListFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Ticket]:
        return selectors.tickets_visible_to(self.request.user).prefetch_related(
            "tags", running_clocks_prefetch(), surveys_prefetch(), selectors.opening_files_prefetch()
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The page's rows as plain values, shaped without a model instance per row (ticket_list_data)."""
        with_clocks = permissions.can_see_sla_clocks(request.user)
        rows = self.filter_queryset(selectors.ticket_list_rows(request.user, with_clocks=with_clocks))
        # Unfiltered, for someone who sees every ticket, the page's only value is its position in the sort's index.
        unfiltered = selectors.sees_every_ticket(request.user) and not names_a_filter(request, self.filterset_class)
        with prepared_statements(when=unfiltered):
            rows = self.paginate_queryset(rows)
        clocks = running_clock_values_by_ticket(selectors.with_running_clocks(rows)) if with_clocks else None
        data = ticket_list_data(rows, selectors.ticket_list_extras(rows), clocks)
        return times_as_fields(self.get_paginated_response(data))

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        refuse_staff_only_fields(request, permissions.STAFF_ONLY_CREATE_FIELDS)
        serializer = TicketCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with transaction.atomic():  # a ticket refused by the service leaves no new requester account behind
            ticket = services.ticket_create(
                requester=ticket_requester(request, data),
                actor=request.user,
                subject=data["subject"],
                description=data["description"],
                category=data.get("category"),
                priority=data["priority"],
                assignee=data.get("assignee"),
                team=data.get("team"),
                tags=data["tags"],
                channel=Channel.API,
            )
        return Response(self.get_serializer(self._fresh(ticket)).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ticket = self.get_object()
        etag = ticket_etag(ticket, with_sla_clocks=permissions.can_see_sla_clocks(request.user))
        if none_match(request, etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(self.get_serializer(ticket).data, headers={"ETag": etag})

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ticket = self.get_object()
        refuse_staff_only_fields(request, permissions.TRIAGE_FIELDS)
        if not permissions.can_triage_ticket(request.user):
            raise NotPermitted("Only agents and admins may change tickets.")
        serializer = TicketUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = services.TicketChanges(**serializer.validated_data)
        ticket = services.ticket_update(
            ticket=ticket, actor=request.user, changes=changes, expected_etags=if_match_etags(request)
        )
        fresh = self._fresh(ticket)
        return Response(self.get_serializer(fresh).data, headers={"ETag": ticket_etag(fresh)})

    @extend_schema(
        summary="Merge a ticket into another",
        description="Agents and admins. The ticket's messages, files and followers move to `into`; the ticket is "
        "closed with `merged_into` pointing there and its requester is told in a public reply. Across requesters "
        "the moved messages become internal notes. Answers with the ticket merged into.",
        parameters=[path_id("id", "The ticket to merge (it will be closed).")],
        request={"application/json": TicketMergeSerializer},
        responses={200: TicketDetailSerializer, **errors(*BODY_ERRORS, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="merge", filter_backends=[], pagination_class=None)
    def merge(self, request: Request, pk: str | None = None) -> Response:
        source = self.get_object()
        if not permissions.can_triage_ticket(request.user):
            raise NotPermitted("Only agents and admins may merge tickets.")
        serializer = TicketMergeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        target = selectors.tickets_visible_to(request.user).filter(pk=serializer.validated_data["into"]).first()
        if target is None:
            raise InvalidValue("No such ticket.", details={"into": ["No ticket has this id."]})
        target = services.ticket_merge(source=source, target=target, actor=request.user)
        return Response(self.get_serializer(self._fresh(target)).data)

    def _fresh(self, ticket: Ticket) -> Ticket:
        """The ticket as written, re-read with what the serializer needs."""
        return self.get_queryset().get(pk=ticket.pk)


def _visible_ticket(request: Request, ticket_pk: int) -> Ticket:
    return get_object_or_404(selectors.tickets_visible_to(request.user), pk=ticket_pk)


@extend_schema_view(
    list=extend_schema(
        summary="List a ticket's comments",
        description="Oldest first. Requesters never see internal notes.",
        tags=["comments"],
        parameters=[TICKET_ID],
        filters=False,  # no filters here; skips django-filter's look at the queryset, which needs a ticket
        responses={200: CommentSerializer, **errors(400, 404)},
    ),
    create=extend_schema(
        summary="Comment on a ticket",
        description="JSON, or `multipart/form-data` to attach `files`. Only agents and admins may write internal "
        "notes (403). A closed ticket takes no comments from its requester (409 `ticket_closed`); a ticket merged "
        "into another takes none from agents and admins either (409 `ticket_merged`, its message naming that ticket: "
        "post there); a file over the size limit is 413 `file_too_large`.",
        tags=["comments"],
        parameters=[TICKET_ID, IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED],
        request={"application/json": CommentCreateSerializer, "multipart/form-data": CommentCreateSerializer},
        responses={201: CommentSerializer, **errors(*BODY_ERRORS, 403, 404, 409, 422)},
    ),
)
class CommentViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """`/tickets/{id}/comments/`: the conversation; requesters never see internal notes."""

    serializer_class = CommentSerializer
    pagination_class = OldestFirst

    def get_queryset(self) -> QuerySet[Comment]:
        ticket = _visible_ticket(self.request, self.kwargs["ticket_pk"])
        return selectors.comments_visible_to(self.request.user, ticket)

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ticket = _visible_ticket(request, kwargs["ticket_pk"])
        serializer = CommentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        comment = services.comment_create(
            ticket=ticket,
            author=request.user,
            body=data["body"],
            internal=data["internal"],
            files=data["files"],
            status=data.get("status"),
        )
        comment = selectors.comments_visible_to(request.user, ticket).get(pk=comment.pk)
        return Response(self.get_serializer(comment).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="List a ticket's links",
        description="Agents and admins. Each link as seen from this ticket: `relation` is what the other ticket is "
        "to it.",
        tags=["links"],
        parameters=[TICKET_ID],
        filters=False,
        responses={200: TicketLinkSerializer, **errors(400, 403, 404)},
    ),
    create=extend_schema(
        summary="Link two tickets",
        description="Agents and admins. One link per pair of tickets; a second is refused (400).",
        tags=["links"],
        parameters=[TICKET_ID, IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED],
        request={"application/json": TicketLinkCreateSerializer},
        responses={201: TicketLinkSerializer, **errors(*BODY_ERRORS, 403, 404, 409, 422)},
    ),
    destroy=extend_schema(
        summary="Remove a link",
        tags=["links"],
        parameters=[TICKET_ID, path_id("id", "The link's id.")],
        responses={204: None, **errors(400, 403, 404)},
    ),
)
class TicketLinkViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """`/tickets/{id}/links/`: related, duplicate and parent/child links, staff only."""

    serializer_class = TicketLinkSerializer
    pagination_class = OldestFirst
    permission_classes = [IsStaffMember]

    def _ticket(self) -> Ticket:
        return _visible_ticket(self.request, self.kwargs["ticket_pk"])

    def get_queryset(self) -> QuerySet[TicketLink]:
        return links_touching(self._ticket())

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if "ticket_pk" in self.kwargs:
            context["ticket"] = self._ticket()
        return context

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ticket = self._ticket()
        serializer = TicketLinkCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        other = selectors.tickets_visible_to(request.user).filter(pk=data["ticket"]).first()
        if other is None:
            raise InvalidValue("No such ticket.", details={"ticket": ["No ticket has this id."]})
        link = services.ticket_link(ticket=ticket, other=other, relation=data["relation"], actor=request.user)
        return Response(self.get_serializer(link).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.ticket_unlink(link=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        summary="List a ticket's audit trail",
        tags=["events"],
        parameters=[TICKET_ID],
        filters=False,  # no filters here; skips django-filter's look at the queryset, which needs a ticket
        responses={200: TicketEventSerializer, **errors(400, 404)},
    ),
)
class TicketEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """`/tickets/{id}/events/`: the audit trail; requesters see only public events."""

    serializer_class = TicketEventSerializer
    pagination_class = OldestFirst

    def get_queryset(self) -> QuerySet[TicketEvent]:
        ticket = _visible_ticket(self.request, self.kwargs["ticket_pk"])
        return selectors.events_visible_to(self.request.user, ticket)


@extend_schema_view(
    list=extend_schema(
        summary="List categories",
        description="Requesters see the active ones.",
        responses={200: CategorySerializer, **errors(400, 404)},
    ),
    retrieve=extend_schema(
        summary="Read a category",
        parameters=[path_id("id", "The category's id.")],
        responses={200: CategorySerializer, **errors(400, 404)},
    ),
)
class CategoryViewSet(StrictQueryString, viewsets.ReadOnlyModelViewSet):
    serializer_class = CategorySerializer
    pagination_class = ById

    def get_queryset(self) -> QuerySet[Category]:
        return selectors.categories_visible_to(self.request.user)


@extend_schema_view(
    list=extend_schema(
        summary="List teams",
        description="Agents and admins only.",
        responses={200: TeamSerializer, **errors(400, 403, 404)},
    ),
    retrieve=extend_schema(
        summary="Read a team",
        description="Agents and admins only.",
        parameters=[path_id("id", "The team's id.")],
        responses={200: TeamSerializer, **errors(400, 403, 404)},
    ),
)
class TeamViewSet(StrictQueryString, viewsets.ReadOnlyModelViewSet):
    serializer_class = TeamSerializer
    pagination_class = ById
    permission_classes = [IsStaffMember]
    queryset = Team.objects.prefetch_related("members")


@extend_schema(
    summary="Download an attachment",
    description="The file itself, with its own `Content-Type`; images may be shown inline, anything else is a "
    "download. Only users who may see the attachment's ticket and comment get it.",
    tags=["attachments"],
    parameters=[
        path_id("id", "The attachment's id."),
        OpenApiParameter(
            "Content-Disposition",
            type=str,
            location=OpenApiParameter.HEADER,
            response=[200],
            description="`inline` or `attachment`, with the original file name.",
        ),
    ],
    responses={(200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."), **errors(400, 404)},
)
@api_view(["GET", "HEAD"])  # as the page's download view: a client may ask for the size and type first
@content_negotiation_class(ErrorsInJsonNegotiation)
def attachment_download(request: Request, pk: str) -> FileResponse:
    refuse_query_params_not_read(request)
    attachment = get_object_or_404(selectors.attachments_visible_to(request.user), pk=pk)
    return attachment_response(attachment)
