"""Webhook endpoints in the API, for admins: register, read, change, delete, rotate the secret; each endpoint's
delivery log, and redeliver. Everyone else gets 403, like the other admin-only settings."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import can_manage_users
from helpdesk.idempotency import idempotent_withholding
from helpdesk.openapi import BODY_ERRORS, collection_schema, errors, path_id
from helpdesk.pagination import ById, NewestFirst
from helpdesk.viewsets import ManagedCollection, StrictQueryString
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointWithSecretSerializer,
)


class IsAdmin(BasePermission):
    message = "Only admins may manage webhooks."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return can_manage_users(request.user)


WEBHOOK_ID = path_id("id", "The webhook endpoint's id.")
TAGS = ["webhooks"]


@collection_schema(
    tag="webhooks",
    item=WebhookEndpointSerializer,
    item_id=WEBHOOK_ID,
    list={"summary": "List webhook endpoints"},
    retrieve={"summary": "Read a webhook endpoint"},
    create={
        "summary": "Register a webhook endpoint",
        "description": "Admins only. The URL must resolve to public addresses (or be listed in the server's "
        "`WEBHOOK_ALLOWED_HOSTS`). The answer holds the signing `secret`: it is shown only this once. A retry with "
        "the same `Idempotency-Key` replays the answer with `secret` null (the secret is not kept outside the "
        "endpoint): if the first answer was lost, rotate the secret.",
        "request": WebhookEndpointSerializer,
        "responses": {201: WebhookEndpointCreatedSerializer, **errors(*BODY_ERRORS, 403)},
    },
    partial_update={
        "summary": "Change a webhook endpoint",
        "description": "Only the fields sent change. Setting `is_active` to true again sends the deliveries that "
        "were waiting, in order.",
        "request": WebhookEndpointSerializer,
    },
    destroy={"summary": "Delete a webhook endpoint", "description": "Its delivery log goes with it."},
    rotate_secret={
        "summary": "Rotate a webhook endpoint's signing secret",
        "description": "A new secret, shown only in this answer. For `WEBHOOK_SECRET_OVERLAP_HOURS` (24 by default) "
        "deliveries carry signatures by both the new and the previous secret, so the receiver can switch.",
        "parameters": [WEBHOOK_ID],
        "request": None,
        "responses": {200: WebhookEndpointWithSecretSerializer, **errors(400, 403, 404)},
    },
)
class WebhookEndpointViewSet(ManagedCollection):
    serializer_class = WebhookEndpointSerializer
    pagination_class = ById
    permission_classes = [IsAdmin]
    queryset = WebhookEndpoint.objects.all()
    lookup_value_regex = r"\d+"

    @idempotent_withholding("secret")
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_create(actor=request.user, **serializer.validated_data)
        return Response(WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        endpoint = self.get_object()
        serializer = self.get_serializer(endpoint, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_update(endpoint=endpoint, **serializer.validated_data)
        return Response(self.get_serializer(endpoint).data)

    def perform_destroy(self, instance: WebhookEndpoint) -> None:
        services.webhook_endpoint_delete(endpoint=instance)

    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        endpoint = services.webhook_endpoint_rotate_secret(endpoint=self.get_object())
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)


DELIVERY_PATH = [path_id("webhook_id", "The webhook endpoint's id.")]
DELIVERY_ID = path_id("delivery_id", "The delivery's id.")


@extend_schema_view(
    list=extend_schema(
        summary="List an endpoint's deliveries",
        description="Newest first: each delivery's state, attempts and the log of every attempt (status, duration, "
        "the head of the response).",
        tags=TAGS,
        parameters=DELIVERY_PATH,
        filters=False,
        responses={200: WebhookDeliverySerializer, **errors(400, 403, 404)},
    ),
    retrieve=extend_schema(
        summary="Read a delivery",
        tags=TAGS,
        parameters=[*DELIVERY_PATH, DELIVERY_ID],
        responses={200: WebhookDeliverySerializer, **errors(400, 403, 404)},
    ),
    redeliver=extend_schema(
        summary="Redeliver",
        description="Send the delivery again now, with the same `webhook-id` and body, and a fresh day of "
        "retries. The endpoint must be active (400 otherwise).",
        tags=TAGS,
        parameters=[*DELIVERY_PATH, DELIVERY_ID],
        request=None,
        responses={
            202: OpenApiResponse(WebhookDeliverySerializer, description="Queued."),
            **errors(400, 403, 404),
        },
    ),
)
class WebhookDeliveryViewSet(
    StrictQueryString, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = WebhookDeliverySerializer
    pagination_class = NewestFirst
    permission_classes = [IsAdmin]
    lookup_url_kwarg = "delivery_pk"
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[WebhookDelivery]:
        endpoint = get_object_or_404(WebhookEndpoint, pk=self.kwargs["webhook_pk"])
        return WebhookDelivery.objects.filter(endpoint=endpoint).prefetch_related("attempt_log")

    @action(detail=True, methods=["post"])
    def redeliver(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        delivery = services.delivery_redeliver(delivery=self.get_object())
        fresh = self.get_queryset().get(pk=delivery.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_202_ACCEPTED)
