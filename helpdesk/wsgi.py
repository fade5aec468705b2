from __future__ import annotations

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

application = get_wsgi_application()


def freeze_what_loading_made() -> None:
    """Loading Django and the app makes over 150,000 objects that live as long as the process, and each of the
    garbage collector's full passes walked them all: a pause of 80 ms or more in whichever request set it off. Load
    every view module (the URLconf) now rather than in the first request, collect what loading left behind, and move
    the rest out of the collector's sight (`gc.freeze`, as Python's documentation advises for a long-running
    server)."""
    get_resolver().url_patterns  # noqa: B018 - the attribute imports every view module
    gc.collect()
    gc.freeze()


freeze_what_loading_made()
