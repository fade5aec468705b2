"""Automation rules in the API, for admins: list, read, create, change, delete; and each rule's run log."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import can_manage_users
from automations.models import Rule, RuleRun
from automations.serializers import RuleRunSerializer, RuleSerializer
from automations.services import rule_save
from helpdesk.errors import InvalidValue
from helpdesk.idempotency import idempotent
from helpdesk.openapi import collection_schema, errors, path_id
from helpdesk.pagination import ById, NewestFirst
from helpdesk.viewsets import ManagedCollection


class IsAdmin(BasePermission):
    message = "Only admins may manage automation rules."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return can_manage_users(request.user)


def _saved(rule: Rule) -> Rule:
    try:
        return rule_save(rule=rule)
    except ValidationError as error:
        raise InvalidValue("The rule is not valid.", details=error.message_dict) from error


RULE_ID = path_id("id", "The rule's id.")


@collection_schema(
    tag="automations",
    item=RuleSerializer,
    item_id=RULE_ID,
    list={"summary": "List automation rules"},
    retrieve={"summary": "Read an automation rule"},
    create={
        "summary": "Create an automation rule",
        "description": "Admins only. `conditions` are the ticket list's filters; time rules need `after_minutes` and "
        "`time_base`.",
    },
    partial_update={"summary": "Change an automation rule"},
    destroy={"summary": "Delete an automation rule"},
)
class RuleViewSet(ManagedCollection):
    serializer_class = RuleSerializer
    pagination_class = ById
    permission_classes = [IsAdmin]
    queryset = Rule.objects.all()

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = _saved(Rule(**serializer.validated_data))
        return Response(self.get_serializer(rule).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rule = self.get_object()
        serializer = self.get_serializer(rule, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        for name, value in serializer.validated_data.items():
            setattr(rule, name, value)
        return Response(self.get_serializer(_saved(rule)).data)


@extend_schema_view(
    list=extend_schema(
        summary="List a rule's run log",
        description="Admins only. Newest first: whether the rule fired on each ticket, and why or why not.",
        tags=["automations"],
        parameters=[path_id("rule_id", "The rule's id.")],
        filters=False,
        responses={200: RuleRunSerializer, **errors(400, 403, 404)},
    ),
)
class RuleRunViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = RuleRunSerializer
    pagination_class = NewestFirst
    permission_classes = [IsAdmin]

    def get_queryset(self) -> QuerySet[RuleRun]:
        rule = get_object_or_404(Rule, pk=self.kwargs["rule_pk"])
        return RuleRun.objects.filter(rule=rule)
