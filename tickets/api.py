"""REST API v1 for tickets, comments, events, categories and teams. Thin: selectors read, services write."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import api_view
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.pagination import ById, NewestFirst, OldestFirst
from tickets import permissions, selectors, services
from tickets.downloads import attachment_response
from tickets.exceptions import NotPermitted
from tickets.filters import TicketFilter
from tickets.models import Category, Comment, Team, Ticket, TicketEvent
from tickets.serializers import (
    CategorySerializer,
    CommentCreateSerializer,
    CommentSerializer,
    TeamSerializer,
    TicketCreateSerializer,
    TicketEventSerializer,
    TicketSerializer,
    TicketUpdateSerializer,
)


class TicketOrdering(OrderingFilter):
    """`?ordering=priority,-created_at`; the id breaks ties so cursor pages never skip or repeat a ticket."""

    ordering_fields = ["created_at", "updated_at", "priority"]
    ordering_param = "ordering"

    def get_ordering(self, request: Request, queryset: QuerySet[Ticket], view: Any) -> list[str]:
        ordering = super().get_ordering(request, queryset, view) or ["-created_at"]
        ordering = [field for field in ordering if field.lstrip("-") != "id"]
        tie_breaker = "-id" if ordering[0].startswith("-") else "id"
        return [*ordering, tie_breaker]


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


class TicketViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = TicketSerializer
    pagination_class = NewestFirst
    filter_backends = [TicketOrdering, DjangoFilterBackend]
    filterset_class = TicketFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Ticket]:
        return selectors.tickets_visible_to(self.request.user).prefetch_related("tags")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        refuse_staff_only_fields(request, permissions.STAFF_ONLY_CREATE_FIELDS)
        serializer = TicketCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ticket = services.ticket_create(
            requester=data.get("requester") or request.user,
            actor=request.user,
            subject=data["subject"],
            description=data["description"],
            category=data.get("category"),
            priority=data["priority"],
            assignee=data.get("assignee"),
            team=data.get("team"),
            tags=data["tags"],
        )
        return Response(self._ticket_body(ticket), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ticket = self.get_object()
        refuse_staff_only_fields(request, permissions.TRIAGE_FIELDS)
        if not permissions.can_triage_ticket(request.user):
            raise NotPermitted("Only agents and admins may change tickets.")
        serializer = TicketUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = services.TicketChanges(**serializer.validated_data)
        ticket = services.ticket_update(ticket=ticket, actor=request.user, changes=changes)
        return Response(self._ticket_body(ticket))

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not kwargs.get("partial"):
            return self.http_method_not_allowed(request, *args, **kwargs)
        return self.partial_update(request, *args, **kwargs)

    def _ticket_body(self, ticket: Ticket) -> dict[str, Any]:
        fresh = self.get_queryset().get(pk=ticket.pk)
        return TicketSerializer(fresh, context=self.get_serializer_context()).data


def _visible_ticket(request: Request, ticket_pk: int) -> Ticket:
    return get_object_or_404(selectors.tickets_visible_to(request.user), pk=ticket_pk)


class CommentViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """`/tickets/{id}/comments/`: the conversation; requesters never see internal notes."""

    serializer_class = CommentSerializer
    pagination_class = OldestFirst
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[Comment]:
        ticket = _visible_ticket(self.request, self.kwargs["ticket_pk"])
        return selectors.comments_visible_to(self.request.user, ticket)

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
        )
        comment = selectors.comments_visible_to(request.user, ticket).get(pk=comment.pk)
        body = CommentSerializer(comment, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)


class TicketEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """`/tickets/{id}/events/`: the audit trail; requesters see only public events."""

    serializer_class = TicketEventSerializer
    pagination_class = OldestFirst

    def get_queryset(self) -> QuerySet[TicketEvent]:
        ticket = _visible_ticket(self.request, self.kwargs["ticket_pk"])
        return selectors.events_visible_to(self.request.user, ticket)


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CategorySerializer
    pagination_class = ById

    def get_queryset(self) -> QuerySet[Category]:
        return selectors.categories_visible_to(self.request.user)


class IsStaffMember(BasePermission):
    message = "Only agents and admins may do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return permissions.is_staff_member(request.user)


class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TeamSerializer
    pagination_class = ById
    permission_classes = [IsStaffMember]
    queryset = Team.objects.prefetch_related("members")


@api_view(["GET"])
def attachment_download(request: Request, pk: int) -> FileResponse:
    attachment = get_object_or_404(selectors.attachments_visible_to(request.user), pk=pk)
    return attachment_response(attachment)
