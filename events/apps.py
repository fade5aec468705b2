from __future__ import annotations

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Events and background work"

    def ready(self) -> None:
        # Each app says in its own handlers.py which event kinds it reacts to, the way admin.py registers models.
        autodiscover_modules("handlers")
