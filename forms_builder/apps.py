from __future__ import annotations

from django.apps import AppConfig


class FormsBuilderConfig(AppConfig):
    """Dynamic intake forms. Filled in by its own issue; registered now so its migrations have a home."""

    name = "forms_builder"
    verbose_name = "Intake forms"
