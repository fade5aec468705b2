"""REST API v1 for users and authentication."""

from __future__ import annotations

from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.core.internal.ratelimit import parse_rates
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django_filters.rest_framework import FilterSet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied, Throttled
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions, services
from accounts.authentication import CredentialsInBody, EmailUnverified
from accounts.mfa import second_factor_missing, user_has_second_factor
from accounts.models import ApiToken, User
from accounts.selectors import api_tokens_of
from accounts.serializers import (
    ApiTokenSerializer,
    IssuedTokenSerializer,
    OwnAccountUpdateSerializer,
    TokenRequestSerializer,
    UserCreateSerializer,
    UserSerializer,
    UserUpdateSerializer,
    stored_zone_context,
)
from accounts.tokens import token_expiry
from accounts.verification import address_proven
from helpdesk.filtersets import TrueOrFalseFilter
from helpdesk.idempotency import idempotent
from helpdesk.openapi import BODY_ERRORS, IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED, ErrorBodySerializer, errors, path_id
from helpdesk.pagination import ById, NewestFirst, refuse_query_params_not_read
from helpdesk.ratelimits import CredentialsRateThrottle
from helpdesk.viewsets import PatchOnlyUpdateMixin, StrictQueryString


class UserPermission(BasePermission):
    """Agents and admins list and read users; only admins create them or change roles."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return permissions.can_list_users(request.user)
        return permissions.can_manage_users(request.user)


class UserFilter(FilterSet):
    is_active = TrueOrFalseFilter()

    class Meta:
        model = User
        fields = ["role", "is_active"]


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
        description="Admins only; nobody changes their own role or deactivates their own account.",
        parameters=[path_id("id", "The user's id.")],
        request={"application/json": UserUpdateSerializer},
        responses={200: UserSerializer, **errors(*BODY_ERRORS, 403, 404)},
    ),
)
class UserViewSet(
    StrictQueryString,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    PatchOnlyUpdateMixin,
    viewsets.GenericViewSet,
):
    serializer_class = UserSerializer
    permission_classes = [UserPermission]
    pagination_class = ById
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_class = UserFilter

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
        serializer = UserUpdateSerializer(data=request.data, partial=True, context=stored_zone_context(user))
        serializer.is_valid(raise_exception=True)
        if user.pk == request.user.pk:
            _refuse_locking_oneself_out(user, serializer.validated_data)
        user = services.user_update(user=user, actor=request.user, **serializer.validated_data)
        return Response(UserSerializer(user).data)


def _refuse_locking_oneself_out(user: User, changes: dict[str, Any]) -> None:
    # An admin who demotes or deactivates themselves by mistake may leave nobody able to undo it.
    if changes.get("role", user.role) != user.role:
        raise PermissionDenied("You cannot change your own role.")
    if not changes.get("is_active", True):
        raise PermissionDenied("You cannot deactivate your own account.")


# A read-only token on a write, and a password where a second factor is due: the shared 403 sentence is about roles.
SCOPE_403 = OpenApiResponse(
    response=ErrorBodySerializer,
    description="`insufficient_scope`: the bearer token is read-only, and this operation changes something.",
)
MFA_403 = OpenApiResponse(
    response=ErrorBodySerializer,
    description="`mfa_required`: the account has two-factor authentication (or its role requires it and it is not "
    "set up yet), so a password alone issues no token. Sign in and create one on the API tokens page instead. "
    "`email_unverified`: the account has not confirmed its email address yet; the message says how to.",
)


@extend_schema(
    summary="Get a bearer token",
    description="Exchange an email and password for a personal access token, for scripts. The secret is shown "
    "once: only its hash is stored. Send it as `Authorization: Bearer <token>`. `read` is always granted; ask for "
    '`["read"]` alone for a token that cannot change anything. Without `expires_in_days` the token never expires. '
    "Any `Authorization` header is ignored here, so an expired token does not stand in the way of a new one. "
    "Accounts with two-factor authentication get 403 `mfa_required`: they create tokens on the API tokens page "
    "(`/accounts/tokens/`). Accounts whose email address is not confirmed yet get 403 `email_unverified`, and so "
    "does every token of theirs until it is; confirming the address after someone else signed up with it voids "
    "their tokens. Strictly rate limited per client address and per account; wrong passwords count with the sign-in "
    "page's, so an account locked there after too many of them gets 429 here too, even for the right password.",
    tags=["auth"],
    auth=[],
    request={"application/json": TokenRequestSerializer},
    responses={201: IssuedTokenSerializer, **errors(*BODY_ERRORS, 401), 403: MFA_403},
)
@api_view(["POST"])
@authentication_classes([CredentialsInBody])  # no session: no CSRF dance for scripts
@permission_classes([AllowAny])
@throttle_classes([CredentialsRateThrottle])  # strict: per client address and per submitted account
def token_issue(request: Request) -> Response:
    """Exchange an email and password for a bearer token (shown once)."""
    serializer = TokenRequestSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    user = _authenticate(request._request, email=data["email"], password=data["password"])
    if user is None or not user.is_active:
        raise AuthenticationFailed("Email or password is incorrect.")
    if not address_proven(user):
        raise EmailUnverified()
    # A password alone must not get around the second factor; the page is behind allauth's full sign-in.
    if user_has_second_factor(user):
        raise PermissionDenied(
            "This account uses two-factor authentication, so a password alone cannot issue a token. Sign in and "
            f"create one on the API tokens page ({reverse('api_tokens')}).",
            code="mfa_required",
        )
    if second_factor_missing(user):
        raise PermissionDenied(
            "Your role requires two-factor authentication. Sign in to set it up, then create a token on the API "
            f"tokens page ({reverse('api_tokens')}).",
            code="mfa_required",
        )
    try:
        token, secret = services.api_token_issue(
            user=user,
            name=data["name"],
            scopes=data["scopes"],
            expires_at=token_expiry(days=data["expires_in_days"]),
        )
    except services.AccountDeactivated as deactivated:  # since the password check: answered as an inactive account
        raise AuthenticationFailed("Email or password is incorrect.") from deactivated
    body = IssuedTokenSerializer(token, context={"secret": secret}).data
    return Response(body, status=status.HTTP_201_CREATED)


def _authenticate(request: HttpRequest, *, email: str, password: str) -> User | None:
    """The password check of the sign-in page (allauth's), so failures here and there count together: an account the
    page has locked after too many wrong passwords gets no token for the right one either, and guesses sent here
    lock the page too. allauth returns a deactivated account whose password is right (for the page to say so): the
    caller refuses it."""
    try:
        return get_account_adapter(request).authenticate(request, email=email, password=password)
    except DjangoValidationError as exc:  # allauth's too_many_login_attempts, the page's own message
        raise Throttled(wait=_login_failed_window(), detail=" ".join(exc.messages)) from exc


def _login_failed_window() -> int:
    """Seconds until allauth's failed-attempt limits have surely forgotten the attempts that lock the account now.

    allauth 65 has no public way to read a configured limit (allauth.core.ratelimit offers only consume and clear),
    so this is the one place that reads its internal parse_rates; test_account_rate_limits fails if that changes."""
    rates = parse_rates(account_settings.RATE_LIMITS.get("login_failed"))
    return int(max((rate.duration for rate in rates), default=60))


@extend_schema(methods=["GET"], summary="Who am I", tags=["auth"], responses={200: UserSerializer, **errors(400)})
@extend_schema(
    methods=["PATCH"],
    summary="Change your own account",
    description="Only `time_zone` for now: the zone your pages and mails show times in. Needs a token with the "
    "`write` scope.",
    tags=["auth"],
    request={"application/json": OwnAccountUpdateSerializer},
    responses={200: UserSerializer, **errors(*BODY_ERRORS), 403: SCOPE_403},
)
@api_view(["GET", "PATCH"])
def me(request: Request) -> Response:
    refuse_query_params_not_read(request)
    if request.method == "PATCH":
        context = stored_zone_context(request.user)
        serializer = OwnAccountUpdateSerializer(data=request.data, partial=True, context=context)
        serializer.is_valid(raise_exception=True)
        services.user_update(user=request.user, actor=request.user, **serializer.validated_data)
    return Response(UserSerializer(request.user).data)


@extend_schema_view(
    list=extend_schema(
        summary="List your tokens",
        description="Your personal access tokens that still work (revoked and expired ones are left out), newest "
        "first. Secrets are never shown again: `prefix` tells them apart.",
        responses={200: ApiTokenSerializer, **errors(400, 404)},
    ),
    retrieve=extend_schema(
        summary="Read one of your tokens",
        parameters=[path_id("id", "The token's id.")],
        responses={200: ApiTokenSerializer, **errors(400, 404)},
    ),
    destroy=extend_schema(
        summary="Revoke one of your tokens",
        description="The token stops working at once (401), also when it is the one making this request. Another "
        "user's token, or one already revoked or expired, is a 404. Needs a token with the `write` scope.",
        parameters=[path_id("id", "The token's id.")],
        responses={204: None, **errors(400, 404), 403: SCOPE_403},
    ),
)
class ApiTokenViewSet(
    StrictQueryString,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ApiTokenSerializer
    pagination_class = NewestFirst
    http_method_names = ["get", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[ApiToken]:
        return api_tokens_of(self.request.user)

    def perform_destroy(self, instance: ApiToken) -> None:
        services.api_token_revoke(token=instance)
