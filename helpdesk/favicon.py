"""/favicon.ico, where browsers ask for a site's icon when a page names none (feeds, bookmarks, a file opened bare)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.views.decorators.http import require_safe

ICON = "img/favicon.svg"


@require_safe
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    # To the file's plain name, not its hashed one (static()): a permanent redirect is cached for good, and whitenoise
    # serves the plain name too, so a new icon still reaches a browser that remembered this redirect.
    return HttpResponsePermanentRedirect(f"{settings.STATIC_URL}{ICON}")
