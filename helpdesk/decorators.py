from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from accounts import permissions

View = Callable[..., HttpResponse]


def staff_required(view: View) -> View:
    """Staff pages answer 404 to everyone else, so a requester cannot even learn that they exist.

    Goes below `@login_required`, which sends anonymous visitors to the login page first.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not permissions.is_staff_member(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def admin_required(view: View) -> View:
    """Admin-only staff pages: agents know they exist (they are in the navigation), so they get a 403, not a 404.

    Goes below `@staff_required`, which answers 404 to requesters as on every staff page.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not permissions.can_manage_users(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
