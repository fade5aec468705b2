"""Sessions that may not be used yet: an unproven email address (everyone), a missing second factor (staff); and the
time zone a signed-in person's pages are told in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone

from accounts.mfa import second_factor_missing
from accounts.verification import EMAIL_UNVERIFIED, address_proven, how_to_confirm
from helpdesk.api_errors import API_PREFIX, error_body

# What a staff member without a second factor may still reach: the way to set one up (allauth asks for the
# password again before activating), the recovery codes shown right after, signing out, the probes, and the icon the
# browser asks for beside each page (else answered with the setup redirect, queuing its warning once more).
SETUP_VIEW_NAMES = frozenset(
    {
        "mfa_index",
        "mfa_activate_totp",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_download_recovery_codes",
        "mfa_reauthenticate",
        "account_reauthenticate",
        "account_logout",
        "admin:logout",
        "healthz",
        "readyz",
        "metrics",
        "favicon",
    }
)

SETUP_MESSAGE = "Staff accounts must use two-factor authentication: set up an authenticator app to continue."


class UnprovenAddressMiddleware:
    """A session of an account whose email address is unproven is ended: it gets nothing, like every other door.

    allauth never signs such an account in; this catches the sessions it had before the rule (or got any other
    way). Bearer-token API calls are left to BearerTokenAuthentication, which asks the same question. The answer
    usually comes with the session's user (accounts.backends.RoleBackend.get_user), so this costs no query. Works
    in process_view, like the middleware below, so the message reaches the sign-in page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or address_proven(user):
            return None
        is_api = request.path.startswith(API_PREFIX)
        if is_api and _has_bearer_token(request):
            return None
        logout(request)
        if is_api:
            return JsonResponse(error_body(EMAIL_UNVERIFIED, how_to_confirm()), status=403)
        messages.warning(request, how_to_confirm())
        return HttpResponseRedirect(reverse("account_login"))


class StaffSecondFactorMiddleware:
    """Goes after allauth's AccountMiddleware (and so after the session user is known).

    Works in process_view, where the resolved view's name is known, so the allowed pages are named, not matched
    by path. Bearer-token API calls are left to BearerTokenAuthentication, which asks the same question.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(settings.STATIC_URL):
            return None
        if request.path.startswith(API_PREFIX) and _has_bearer_token(request):
            return None
        if request.resolver_match is not None and request.resolver_match.view_name in SETUP_VIEW_NAMES:
            return None
        if not second_factor_missing(user):
            return None
        if request.path.startswith(API_PREFIX):
            body = error_body("mfa_required", "Set up two-factor authentication before using the API.")
            return JsonResponse(body, status=403)
        messages.warning(request, SETUP_MESSAGE)
        return HttpResponseRedirect(reverse("mfa_activate_totp"))


class UserTimeZoneMiddleware:
    """Pages are told in the signed-in person's zone (User.zone), for the whole request; anonymous ones in the site's
    (TIME_ZONE). Not the API: its times are ISO 8601 in the site's zone whoever asks (a bearer token's user is only
    known inside the view, so a session's would otherwise get other offsets than a script's)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or request.path.startswith(API_PREFIX) or not user.is_authenticated:
            return self.get_response(request)
        with timezone.override(user.zone):
            return self.get_response(request)


def _has_bearer_token(request: HttpRequest) -> bool:
    # DRF tries the bearer token first (REST_FRAMEWORK's authentication classes), so the session does not count.
    return request.headers.get("Authorization", "").lower().startswith("bearer ")
