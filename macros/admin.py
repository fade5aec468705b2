"""Macros in the admin; saved through macros.services like the page and the API."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from helpdesk.admin_support import MESSAGE_TEXTAREAS, ConfiguredRowsKeptForm
from macros.forms import StoredAssigneeForm
from macros.models import Macro
from macros.services import macro_save


class MacroAdminForm(ConfiguredRowsKeptForm, StoredAssigneeForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The field takes agents only (the autocomplete offers no one else).
        self.keep_stored_assignee()


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    form = MacroAdminForm
    formfield_overrides = MESSAGE_TEXTAREAS
    list_display = ("name", "owner", "visibility", "shared_team", "updated_at")
    list_select_related = ("owner", "shared_team")
    list_filter = ("visibility", "shared_team")
    search_fields = ("name", "body")
    autocomplete_fields = ("owner", "set_assignee")
    readonly_fields = ("created_at", "updated_at")
    fieldsets = [
        (None, {"fields": ("name", "body", "internal")}),
        ("Who may use it", {"fields": ("owner", "visibility", "shared_team")}),
        ("Actions", {"fields": ("set_status", "set_priority", "add_tags", "assign_to_me", "set_assignee", "set_team")}),
        ("History", {"fields": ("created_at", "updated_at")}),
    ]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"owner": request.user.pk, **super().get_changeform_initial_data(request)}

    def save_model(self, request: HttpRequest, obj: Macro, form: Any, change: bool) -> None:
        macro_save(macro=obj, named_rows_kept=True)  # by the form (ConfiguredRowsKeptForm), in this transaction
