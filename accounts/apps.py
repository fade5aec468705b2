from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from accounts import adapters, sessions

        sessions.connect_signals()
        adapters.connect_signals()
