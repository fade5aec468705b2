from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse

from tickets import permissions

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
