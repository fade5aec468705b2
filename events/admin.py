"""Events and their handler runs, read-only; failed runs can be retried. Admins only (agents have no permission)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from events.models import Event, HandlerRun, RunState
from events.services import handler_runs_retry
from helpdesk.admin_support import ReadOnlyAdminMixin, counted


class HandlerRunInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = HandlerRun
    fields = ("handler", "state", "attempts", "next_attempt_at", "finished_at", "last_error")
    readonly_fields = fields
    extra = 0


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "kind", "ticket", "actor", "internal", "created_at", "dispatched_at")
    list_select_related = ("ticket", "actor")
    list_filter = ("kind", "internal", "created_at")
    search_fields = ("=ticket__id", "actor__email")
    fields = ("kind", "ticket", "actor", "internal", "payload", "created_at", "dispatched_at")
    readonly_fields = fields
    inlines = [HandlerRunInline]
    show_full_result_count = False  # the table grows with every change; no COUNT(*) over it on each page


@admin.register(HandlerRun)
class HandlerRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What went wrong in the background. Failed runs stay here until an admin retries them."""

    list_display = ("id", "handler", "event", "state", "attempts", "next_attempt_at", "finished_at")
    list_select_related = ("event",)
    list_filter = ("state", "handler")
    search_fields = ("handler", "=event__id", "=event__ticket__id")
    fields = ("event", "handler", "state", "attempts", "next_attempt_at", "started_at", "finished_at", "last_error")
    readonly_fields = fields
    actions = ["retry_selected"]
    show_full_result_count = False

    @admin.action(description="Retry selected failed runs", permissions=["retry"])
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[HandlerRun]) -> None:
        runs = list(queryset.filter(state=RunState.FAILED))
        retried = handler_runs_retry(runs=runs)
        self.message_user(request, f"Queued {counted(retried, 'run')} again.", messages.SUCCESS)
        if retried < queryset.count():
            self.message_user(request, "Only failed runs can be retried; the others were left alone.", messages.INFO)

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions
