"""REST API v1 for users and authentication."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.db.models import QuerySet
from django_ratelimit.decorators import ratelimit
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.authentication import BearerTokenAuthentication
from accounts.models import User, normalize_email_address
from accounts.serializers import (
    TokenRequestSerializer,
    UserCreateSerializer,
    UserSerializer,
    UserUpdateSerializer,
)
from helpdesk.pagination import ById
from tickets import permissions


class UserPermission(BasePermission):
    """Agents and admins list and read users; only admins create them or change roles."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return permissions.can_list_users(request.user)
        return permissions.can_manage_users(request.user)


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
        user = services.user_update(user=user, **serializer.validated_data)
        return Response(UserSerializer(user).data)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not kwargs.get("partial"):
            return self.http_method_not_allowed(request, *args, **kwargs)
        return self.partial_update(request, *args, **kwargs)


def _token_rate(group: str, request: Any) -> str:
    return settings.API_TOKEN_RATE


def _submitted_email(group: str, request: Request) -> str:
    """Counted per account as well as per address, whatever the body's format (JSON or form)."""
    email = request.data.get("email", "") if hasattr(request.data, "get") else ""
    return normalize_email_address(str(email))


@api_view(["POST"])
@authentication_classes([BearerTokenAuthentication])  # no session: no CSRF dance for scripts
@permission_classes([AllowAny])
@ratelimit(key="ip", rate=_token_rate, block=True)
@ratelimit(key=_submitted_email, rate=_token_rate, block=True)
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


@api_view(["GET"])
def me(request: Request) -> Response:
    return Response(UserSerializer(request.user).data)
