"""REST API v1 for users and authentication."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.authentication import BearerTokenAuthentication
from accounts.models import User
from accounts.serializers import (
    TokenRequestSerializer,
    UserCreateSerializer,
    UserSerializer,
    UserUpdateSerializer,
)
from helpdesk.idempotency import idempotent
from helpdesk.openapi import BODY_ERRORS, IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED, errors, path_id
from helpdesk.pagination import ById
from helpdesk.ratelimits import CredentialsRateThrottle
from tickets import permissions


class UserPermission(BasePermission):
    """Agents and admins list and read users; only admins create them or change roles."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return permissions.can_list_users(request.user)
        return permissions.can_manage_users(request.user)


@extend_schema_view(
    list=extend_schema(
        summary="List users",
        description="Agents and admins only.",
        responses={200: UserSerializer, **errors(400, 403, 404)},
    ),
    retrieve=extend_schema(
        summary="Read a user",
        description="Agents and admins only.",
        parameters=[path_id("id", "The user's id.")],
        responses={200: UserSerializer, **errors(400, 403, 404)},
    ),
    create=extend_schema(
        summary="Create a user",
        description="Admins only. Without a `password` the account has no usable password until one is set.",
        parameters=[IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED],
        request={"application/json": UserCreateSerializer},
        responses={201: UserSerializer, **errors(*BODY_ERRORS, 403, 409, 422)},
    ),
    partial_update=extend_schema(
        summary="Change a user",
        description="Admins only; nobody changes their own role.",
        parameters=[path_id("id", "The user's id.")],
        request={"application/json": UserUpdateSerializer},
        responses={200: UserSerializer, **errors(*BODY_ERRORS, 403, 404)},
    ),
)
class UserViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = UserSerializer
    permission_classes = [UserPermission]
    pagination_class = ById
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_fields = ["role", "is_active"]

    def get_queryset(self) -> QuerySet[User]:
        return User.objects.all()

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = UserCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_create(**serializer.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = self.get_object()
        serializer = UserUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if user.pk == request.user.pk and serializer.validated_data.get("role", user.role) != user.role:
            raise PermissionDenied("You cannot change your own role.")
        user = services.user_update(user=user, actor=request.user, **serializer.validated_data)
        return Response(UserSerializer(user).data)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not kwargs.get("partial"):
            return self.http_method_not_allowed(request, *args, **kwargs)
        return self.partial_update(request, *args, **kwargs)


@extend_schema(
    summary="Get a bearer token",
    description="Exchange an email and password for a bearer token. The token is shown once: only its hash is "
    "stored. Send it as `Authorization: Bearer <token>`. Strictly rate limited per client address and per account.",
    tags=["auth"],
    auth=[],
    request={"application/json": TokenRequestSerializer},
    responses={
        201: inline_serializer("IssuedToken", fields={"token": serializers.CharField(help_text="The secret.")}),
        **errors(*BODY_ERRORS, 401),
    },
)
@api_view(["POST"])
@authentication_classes([BearerTokenAuthentication])  # no session: no CSRF dance for scripts
@permission_classes([AllowAny])
@throttle_classes([CredentialsRateThrottle])  # strict: per client address and per submitted account
def token_issue(request: Request) -> Response:
    """Exchange an email and password for a bearer token (shown once)."""
    serializer = TokenRequestSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    user = authenticate(request._request, username=data["email"], password=data["password"])
    if user is None:
        raise AuthenticationFailed("Email or password is incorrect.")
    _, secret = services.api_token_issue(user=user, name=data["name"])
    return Response({"token": secret}, status=status.HTTP_201_CREATED)


@extend_schema(summary="Who am I", tags=["auth"], responses={200: UserSerializer, **errors(400)})
@api_view(["GET"])
def me(request: Request) -> Response:
    return Response(UserSerializer(request.user).data)
