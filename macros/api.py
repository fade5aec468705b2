"""Macros in the API, for agents and admins: list, read, create, change, delete; and applying one to a ticket."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from helpdesk.errors import InvalidValue, NothingChanged
from helpdesk.idempotency import idempotent
from helpdesk.openapi import (
    BODY_ERRORS,
    IDEMPOTENCY_ERRORS,
    IDEMPOTENCY_KEY,
    IDEMPOTENT_REPLAYED,
    TICKET_ID,
    collection_schema,
    errors,
    path_id,
)
from helpdesk.pagination import ById
from helpdesk.viewsets import ManagedCollection
from macros import selectors, services
from macros.filters import MacroFilter
from macros.models import Macro
from macros.serializers import MacroApplyResultSerializer, MacroApplySerializer, MacroSerializer
from tickets.api import IsStaffMember
from tickets.models import Comment, Ticket
from tickets.selectors import tickets_visible_to

MACRO_ID = path_id("id", "The macro's id.")


@collection_schema(
    tag="macros",
    item=MacroSerializer,
    item_id=MACRO_ID,
    list={
        "summary": "List the macros you may use",
        "description": "Agents and admins: your own macros, those shared with everyone and those shared with a team "
        "of yours (admins see all). `q` matches words in the name.",
    },
    retrieve={"summary": "Read a macro"},
    create={
        "summary": "Create a macro",
        "description": "Agents and admins. You own it. `body` may use the placeholders {{ requester.name }}, "
        "{{ ticket.id }}, {{ agent.name }} and the others listed in the docs; an unknown one is refused.",
    },
    partial_update={"summary": "Change a macro", "description": "Its owner or an admin."},
    destroy={"summary": "Delete a macro", "description": "Its owner or an admin."},
)
class MacroViewSet(ManagedCollection):
    serializer_class = MacroSerializer
    pagination_class = ById
    permission_classes = [IsStaffMember]

    filter_backends = [DjangoFilterBackend]
    filterset_class = MacroFilter

    def get_queryset(self) -> QuerySet[Macro]:
        return selectors.macros_visible_to(self.request.user)

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        macro = services.macro_create(actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(macro).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        macro = self.get_object()
        serializer = self.get_serializer(macro, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        macro = services.macro_update(macro=macro, actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(macro).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.macro_delete(macro=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    create=extend_schema(
        summary="Apply a macro to a ticket",
        description="Agents and admins. Posts the macro's text (placeholders filled in), or `body` when given, and "
        "applies its actions (status, priority, tags, assignee, team) through the same services as every other "
        "edit: all of it or nothing. An unknown macro, or one you may not use, is refused as an invalid `macro`. "
        "201 when it posted or changed something; 200 with `changed: false` (and `message` saying so) when it has no "
        "text and the ticket already has everything it sets.",
        tags=["macros"],
        parameters=[TICKET_ID, IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED],
        request={"application/json": MacroApplySerializer},
        responses={
            201: MacroApplyResultSerializer,
            200: MacroApplyResultSerializer,
            **errors(*BODY_ERRORS, 403, 404, *IDEMPOTENCY_ERRORS),
        },
    ),
)
class MacroApplyViewSet(viewsets.GenericViewSet):
    """`POST /tickets/{id}/apply-macro/`."""

    serializer_class = MacroApplySerializer
    permission_classes = [IsStaffMember]

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ticket = get_object_or_404(tickets_visible_to(request.user), pk=kwargs["ticket_pk"])
        serializer = MacroApplySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        macro = selectors.macros_visible_to(request.user).filter(pk=data["macro"]).first()
        if macro is None:
            raise InvalidValue("No such macro.", details={"macro": ["No macro you may use has this id."]})
        try:
            comment = services.macro_apply(
                macro=macro, ticket=ticket, actor=request.user, body=data.get("body"), internal=data["internal"]
            )
        except NothingChanged as nothing:
            return _apply_result(ticket, comment=None, changed=False, message=nothing.message)
        return _apply_result(ticket, comment=comment, changed=True, message=f"Macro “{macro.name}” applied.")


def _apply_result(ticket: Ticket, *, comment: Comment | None, changed: bool, message: str) -> Response:
    """201 when the macro posted or changed something; 200 when the ticket already had all of it (nothing created, yet
    no error: the ticket is as the macro would leave it, as a retry after a lost answer finds it)."""
    ticket.refresh_from_db()
    result = {
        "comment": comment.pk if comment else None,
        "ticket": ticket.pk,
        "status": ticket.status,
        "changed": changed,
        "message": message,
    }
    return Response(result, status=status.HTTP_201_CREATED if changed else status.HTTP_200_OK)
