"""The OAuth dance as a browser does it: our site, then the provider over real HTTP, then back to our site."""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from accounts.models import User


class _DoNotFollow(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


# No proxy from the developer's environment between us and 127.0.0.1, and redirects are read, not followed.
_browser = urllib.request.build_opener(urllib.request.ProxyHandler({}), _DoNotFollow())


def start_sign_in(client: Client, provider_id: str, *, process: str = "login", next_url: str = "") -> HttpResponse:
    """Press the provider's button: a POST to its login URL, answered with a redirect to the provider."""
    data = {"process": process, **({"next": next_url} if next_url else {})}
    return client.post(reverse(f"{provider_id}_login"), data)


def visit_provider(authorize_url: str) -> str:
    """GET the provider's authorize page for real and return where it sends the browser back to."""
    try:
        with _browser.open(authorize_url, timeout=10) as response:
            raise AssertionError(f"the provider answered {response.status} instead of redirecting back")
    except urllib.error.HTTPError as redirect:
        assert redirect.code == 302, f"the provider answered {redirect.code}: {redirect.read()!r}"
        return redirect.headers["Location"]


def return_to_site(client: Client, callback_url: str) -> HttpResponse:
    """Follow the provider's redirect back to our callback; allauth then exchanges the code over HTTP."""
    parts = urlsplit(callback_url)
    assert parts.path.startswith("/accounts/"), callback_url
    return client.get(f"{parts.path}?{parts.query}")


def sign_in_with(client: Client, provider_id: str, *, process: str = "login") -> HttpResponse:
    """The whole dance; returns our site's answer to the callback."""
    started = start_sign_in(client, provider_id, process=process)
    assert started.status_code == 302, started
    return return_to_site(client, visit_provider(started.url))


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def signed_in_user(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None
