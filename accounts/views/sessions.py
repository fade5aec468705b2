"""The Sessions page: where the user is signed in, and ending any one of those sessions (or all the others).

It replaces allauth's usersessions_list page (same URL and name), which can only end all other sessions at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from allauth.usersessions.adapter import get_adapter
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.selectors import user_sessions_signed_in
from accounts.sessions import device_description


@dataclass(frozen=True)
class SessionRow:
    session: UserSession
    device: str
    is_current: bool


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
