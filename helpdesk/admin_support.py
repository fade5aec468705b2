"""Glue between the Django admin and the services that do the writing."""

from __future__ import annotations

from django.db.models import Model


def adopt_saved(obj: Model, saved: Model) -> None:
    """Make the admin's unsaved instance the row a service created: the admin logs and redirects with it."""
    obj.__dict__.update(saved.__dict__)
