"""Saved views in the API: an agent's own views and those shared with their teams, and each view's tickets."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from csat.selectors import surveys_prefetch
from helpdesk.errors import NotPermitted
from helpdesk.idempotency import idempotent
from helpdesk.openapi import collection_schema, errors, path_id
from helpdesk.pagination import ById, StrictCursorPagination
from helpdesk.viewsets import ManagedCollection
from queues import services
from queues.models import SavedView
from queues.permissions import can_change_view
from queues.selectors import saved_views_visible_to, shown_conditions
from queues.serializers import SavedViewSerializer
from sla.selectors import running_clocks_prefetch
from tickets.api import IsStaffMember
from tickets.conditions import tickets_matching
from tickets.forms import SORT_ORDERINGS
from tickets.models import Ticket
from tickets.selectors import tickets_visible_to
from tickets.serializers import TicketSerializer

VIEW_ID = path_id("id", "The view's id.")


@collection_schema(
    tag="views",
    item=SavedViewSerializer,
    item_id=VIEW_ID,
    list={
        "summary": "List your views",
        "description": "Agents and admins only: your own views, then the ones shared with a team you are a member of.",
    },
    retrieve={"summary": "Read a view"},
    create={
        "summary": "Save a view",
        "description": "`conditions` are the ticket list's filters (`GET /api/v1/tickets/`'s query parameters); "
        "`team` shares the view with a team you are a member of.",
    },
    partial_update={
        "summary": "Change a view",
        "description": "Only its owner may change a view; team members who see a shared view get 403.",
    },
    destroy={"summary": "Delete a view", "description": "Only its owner may delete a view."},
)
class SavedViewViewSet(ManagedCollection):
    queryset = SavedView.objects.none()  # the schema's model; get_queryset answers requests
    serializer_class = SavedViewSerializer
    pagination_class = ById
    permission_classes = [IsStaffMember]

    def get_queryset(self) -> QuerySet[SavedView]:
        return saved_views_visible_to(self.request.user).order_by("id")

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        view = services.saved_view_create(owner=request.user, **serializer.validated_data)
        return Response(self.get_serializer(view).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        view = self._own_object()
        serializer = self.get_serializer(view, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        view = services.saved_view_update(view=view, actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(view).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.saved_view_delete(view=self._own_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _own_object(self) -> SavedView:
        view = self.get_object()
        if not can_change_view(self.request.user, view):
            raise NotPermitted("Only the owner of a view may change it.")
        return view


class InViewOrder(StrictCursorPagination):
    """A view's tickets in the view's own sort, each order ending with the id so pages never skip or repeat."""

    ordering = SORT_ORDERINGS["newest"]

    def get_ordering(self, request: Request, queryset: QuerySet[Ticket], view: Any) -> tuple[str, ...]:
        return SORT_ORDERINGS.get(view.saved_view.sort, SORT_ORDERINGS["newest"])


@extend_schema_view(
    list=extend_schema(
        summary="List a view's tickets",
        description="Agents and admins only: the tickets that meet the view's conditions now, in the view's sort, as "
        "the queue page lists them: a view with no `status` condition lists new, open and pending tickets. "
        "`assignee=me` and `my_teams` mean you, whoever saved the view.",
        tags=["views"],
        parameters=[path_id("view_id", "The view's id.")],
        filters=False,
        responses={200: TicketSerializer, **errors(400, 403, 404)},
    ),
)
class SavedViewTicketViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = TicketSerializer
    pagination_class = InViewOrder
    permission_classes = [IsStaffMember]

    def get_queryset(self) -> QuerySet[Ticket]:
        self.saved_view = get_object_or_404(saved_views_visible_to(self.request.user), pk=self.kwargs["view_pk"])
        tickets = tickets_visible_to(self.request.user).prefetch_related(
            "tags", running_clocks_prefetch(), surveys_prefetch()
        )
        return tickets_matching(shown_conditions(self.saved_view.conditions), tickets, user=self.request.user)
