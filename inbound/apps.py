from __future__ import annotations

from django.apps import AppConfig


class InboundConfig(AppConfig):
    name = "inbound"
    verbose_name = "Inbound mail"

    def ready(self) -> None:
        # django-anymail hands provider webhooks' messages to its `inbound` signal: our one receiver stores them.
        from inbound import webhooks

        webhooks.connect()
