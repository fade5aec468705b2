"""Recording where and when each session was last seen, for the Sessions page, without a write per request.

allauth's UserSessionsMiddleware updates the session's row on every authenticated request. This one does it at
most once per SEEN_EVERY seconds per session, remembering the last write in the cache.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from allauth.usersessions.models import UserSession
from django.contrib.auth.signals import user_logged_in
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from ua_parser import parse as parse_user_agent

SEEN_EVERY = 60


def _seen_key(session_key: str) -> str:
    return f"usersession-seen:{session_key}"


class UserSessionsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session_key = request.session.session_key
        if (
            session_key
            and request.user.is_authenticated
            and cache.add(_seen_key(session_key), True, timeout=SEEN_EVERY)
        ):
            UserSession.objects.create_from_request(request)
        return self.get_response(request)


def remember_sign_in(sender: Any, request: HttpRequest, **kwargs: Any) -> None:
    """allauth records the session when someone signs in; the next minute of requests need not record it again."""
    if request is not None and request.session.session_key:
        cache.set(_seen_key(request.session.session_key), True, timeout=SEEN_EVERY)


def connect_signals() -> None:
    user_logged_in.connect(remember_sign_in, dispatch_uid="accounts.sessions.remember_sign_in")


@lru_cache(maxsize=512)
def device_description(user_agent: str) -> str:
    """ "Firefox on Windows" from a User-Agent header: what a person recognises as one of their devices."""
    parsed = parse_user_agent(user_agent)
    browser = parsed.user_agent.family if parsed.user_agent and parsed.user_agent.family != "Other" else ""
    system = parsed.os.family if parsed.os and parsed.os.family != "Other" else ""
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown device"
