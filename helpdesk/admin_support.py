"""Glue between the Django admin and the services that do the writing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.contrib.admin.widgets import AdminTextareaWidget
from django.db import models, transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from helpdesk.forms import MessageTextarea


def adopt_saved(obj: Model, saved: Model) -> None:
    """Make the admin's unsaved instance the row a service created: the admin logs and redirects with it."""
    obj.__dict__.update(saved.__dict__)


class AdminMessageTextarea(MessageTextarea, AdminTextareaWidget):
    """The admin's textarea, its line breaks read back as the browser counted them (helpdesk.forms.MessageTextarea)."""


# For a ModelAdmin holding a message (a ticket's description, a comment, a macro's or a rule's text).
MESSAGE_TEXTAREAS = {models.TextField: {"widget": AdminMessageTextarea}}


class ReadOnlyAdminMixin:
    """For records written only by services (the audit trail, attachments): look, never touch."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class DeletionRefusedMixin:
    """The delete page and "Delete selected" refuse what `deletion_refusals` gives reasons for, as Django refuses an
    object protected by a foreign key: the reasons are listed with what protects it, and nothing is deleted."""

    deletion_refusals: Callable[[Sequence[Model]], list[str]]

    def get_deleted_objects(self, objs: Sequence[Model], request: HttpRequest) -> tuple[Any, ...]:
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)  # type: ignore[misc]
        return deleted, model_count, perms_needed, [*protected, *self.deletion_refusals(list(objs))]


class ServiceDeletionMixin:
    """Deleting goes through a service (`delete_one`), from the object's page and from "Delete selected" alike: the
    list's action bypasses delete_model, so each selected object goes as one deleted on its page does, all or none."""

    def delete_one(self, request: HttpRequest, obj: Any) -> None:
        raise NotImplementedError

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.delete_one(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        with transaction.atomic():
            for obj in queryset:
                self.delete_one(request, obj)


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """ "1 ticket", "2 tickets", "2 inactive copies": for the admin's messages."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"
