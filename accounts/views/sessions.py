"""The Sessions page: where the user is signed in, and ending any one of those sessions (or all the others).

It replaces allauth's usersessions_list page (same URL and name), which can only end all other sessions at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import import_module

from allauth.usersessions.adapter import get_adapter
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, logout
from django.contrib.auth.decorators import login_required
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_http_methods, require_POST
from ua_parser import parse as parse_user_agent

from accounts.models import User


@dataclass(frozen=True)
class SessionRow:
    session: UserSession
    device: str
    is_current: bool


@lru_cache(maxsize=512)
def device_description(user_agent: str) -> str:
    """ "Firefox on Windows" from a User-Agent header: what a person recognises as one of their devices."""
    parsed = parse_user_agent(user_agent)
    browser = parsed.user_agent.family if parsed.user_agent and parsed.user_agent.family != "Other" else ""
    system = parsed.os.family if parsed.os and parsed.os.family != "Other" else ""
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown device"


def _session_signed_in_as(data: dict, user: User) -> bool:
    """The test django.contrib.auth applies on each request: same user, and the password has not changed since."""
    if data.get(SESSION_KEY) != str(user.pk):
        return False
    session_hash = data.get(HASH_SESSION_KEY) or ""
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    return any(constant_time_compare(session_hash, known) for known in hashes)


def user_sessions_signed_in(user: User) -> list[UserSession]:
    """The user's sessions that still sign someone in, forgetting the rest (signed out, expired, old password).

    allauth's purge_and_list does the same with three queries per session; with database sessions this reads
    all of them in one query, so the page costs the same however many devices the user has.
    """
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if not issubclass(store_class, DatabaseSessionStore):
        return UserSession.objects.purge_and_list(user)
    rows = list(UserSession.objects.filter(user_id=user.pk))
    stored = store_class.get_model_class().objects.filter(
        session_key__in=[row.session_key for row in rows], expire_date__gt=timezone.now()
    )
    live = {entry.session_key for entry in stored if _session_signed_in_as(entry.get_decoded(), user)}
    stale = [row.pk for row in rows if row.session_key not in live]
    if stale:
        UserSession.objects.filter(pk__in=stale).delete()
    return [row for row in rows if row.session_key in live]


@require_http_methods(["GET", "HEAD"])
@login_required
def session_list(request: HttpRequest) -> HttpResponse:
    current_key = request.session.session_key
    rows = [
        SessionRow(
            session=session,
            device=device_description(session.user_agent),
            is_current=session.session_key == current_key,
        )
        for session in user_sessions_signed_in(request.user)
    ]
    # This browser first, then the most recently used.
    rows.sort(key=lambda row: (not row.is_current, -row.session.last_seen_at.timestamp()))
    return render(
        request,
        "usersessions/usersession_list.html",
        {"rows": rows, "has_others": any(not row.is_current for row in rows)},
    )


@require_POST
@login_required
def session_end(request: HttpRequest, pk: int) -> HttpResponse:
    # 404, never 403, for someone else's session: whether an id exists is not theirs to learn.
    session = get_object_or_404(UserSession, pk=pk, user_id=request.user.pk)
    is_current = session.session_key == request.session.session_key
    get_adapter().end_sessions([session])
    if is_current:
        # Ending this browser's own session is signing out; flush what is left of it in this request.
        logout(request)
        return redirect(settings.LOGIN_URL)
    messages.success(request, f"Signed out {device_description(session.user_agent)} ({session.ip}).")
    return redirect("usersessions_list")


@require_POST
@login_required
def session_end_others(request: HttpRequest) -> HttpResponse:
    others = UserSession.objects.filter(user_id=request.user.pk).exclude(session_key=request.session.session_key)
    get_adapter().end_sessions(list(others))
    messages.success(request, "Signed out everywhere else.")
    return redirect("usersessions_list")
