"""Sign-in pages. The interim Django auth views, rate limited like the API's credentials tier."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.decorators import ratelimit

from accounts.models import normalize_email_address

TOO_MANY_ATTEMPTS = "Too many sign-in attempts. Please wait a minute and try again."


def _credentials_rate(group: str, request: HttpRequest) -> str:
    return settings.RATE_LIMIT_CREDENTIALS


def _submitted_account(group: str, request: HttpRequest) -> str:
    return normalize_email_address(request.POST.get("username", ""))


# Counted per client address and per account, so neither rotating addresses nor rotating accounts helps.
@ratelimit(group="login:ip", key="ip", rate=_credentials_rate, method="POST", block=False)
@ratelimit(group="login:account", key=_submitted_account, rate=_credentials_rate, method="POST", block=False)
def login(request: HttpRequest) -> HttpResponse:
    if getattr(request, "limited", False):
        context = {
            "form": AuthenticationForm(request),
            "next": request.POST.get("next", ""),
            "error": TOO_MANY_ATTEMPTS,
        }
        return render(request, "registration/login.html", context, status=429)
    return auth_views.LoginView.as_view(redirect_authenticated_user=True)(request)
