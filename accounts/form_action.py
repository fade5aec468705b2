"""The CSP's form-action on the account pages: 'self', and the sign-in providers' authorize origins.

A provider button (templates/allauth/elements/provider.html) is a plain form that POSTs to allauth, which answers
with a redirect to the provider's authorize page. Browsers hold the redirects that follow a form submission to the
submitting page's form-action, so with 'self' alone "Continue with GitHub" goes nowhere. The providers are
configured in the environment or in the admin, so their origins are read per request, and only on the pages under
/accounts/ (sign-in, sign-up, connected accounts, the provider's own "Continue" page): every other page keeps
form-action to this site alone.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from allauth.socialaccount.adapter import get_adapter
from django.http import HttpRequest, HttpResponse
from django.urls import reverse


def provider_origins(request: HttpRequest) -> list[str]:
    """The origins of the configured providers' authorize pages (GitHub Enterprise and self-hosted GitLab too)."""
    origins = set()
    for provider in get_adapter().list_providers(request):
        if not hasattr(provider, "get_oauth2_adapter"):
            continue  # only OAuth 2 providers are configured (settings.SOCIALACCOUNT_PROVIDERS)
        parts = urlsplit(provider.get_oauth2_adapter(request).authorize_url)
        origins.add(f"{parts.scheme}://{parts.netloc}")
    return sorted(origins)


class ProviderFormActionMiddleware:
    """Sits inside csp.middleware.CSPMiddleware, which reads the `_csp_update` this sets on the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # A page shown, not a redirect or an error: only a shown page has a provider button to press.
        is_page = response.status_code == 200 and response.get("Content-Type", "").startswith("text/html")
        if is_page and request.path.startswith(reverse("account_login").removesuffix("login/")):
            origins = provider_origins(request)
            if origins:
                update = dict(getattr(response, "_csp_update", None) or {})
                update["form-action"] = [*update.get("form-action", []), *origins]
                response._csp_update = update
        return response
