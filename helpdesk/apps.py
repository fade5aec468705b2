from __future__ import annotations

from django.apps import AppConfig


class HelpdeskConfig(AppConfig):
    """The project package is an app too, for cross-cutting records such as idempotency keys."""

    name = "helpdesk"

    def ready(self) -> None:
        from helpdesk.metrics import register_collectors
        from helpdesk.timestamp_loader import use_c_timestamp_loader

        register_collectors()
        use_c_timestamp_loader()
