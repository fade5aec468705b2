"""Recording where and when each session was last seen, for the Sessions page, without a write per request.

allauth's UserSessionsMiddleware updates the session's row on every authenticated request. This one does it at
most once per SEEN_EVERY seconds per session, remembering the last write in the shared cache; and each process
remembers for SEEN_EVERY seconds that it found a session remembered there, so a busy session costs the cache one
round trip a minute per process rather than one per request. A session is shown as seen within two minutes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from allauth.usersessions.models import UserSession
from django.contrib.auth.signals import user_logged_in
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from ua_parser import parse as parse_user_agent

SEEN_EVERY = 60
CHECKED_HERE_MAX = 10_000

# Session key → until when this process need not ask the cache (time.monotonic()); emptied when it is full.
_checked_here: dict[str, float] = {}


def _seen_key(session_key: str) -> str:
    return f"usersession-seen:{session_key}"


def _checked_lately(session_key: str, now: float) -> bool:
    return _checked_here.get(session_key, 0.0) > now


def _remember_checked(session_key: str, now: float) -> None:
    if len(_checked_here) >= CHECKED_HERE_MAX:
        _checked_here.clear()
    _checked_here[session_key] = now + SEEN_EVERY


class UserSessionsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session_key = request.session.session_key
        now = time.monotonic()
        if session_key and request.user.is_authenticated and not _checked_lately(session_key, now):
            if cache.add(_seen_key(session_key), True, timeout=SEEN_EVERY):
                UserSession.objects.create_from_request(request)
            _remember_checked(session_key, now)
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
