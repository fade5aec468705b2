"""Every mail sent or on its way, read-only; failed and bounced ones can be resent. Admins only.

The bodies are not shown: some carry a private link or a survey token."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from helpdesk.admin_support import ReadOnlyAdminMixin, counted
from notifications.models import Notification, NotificationStatus
from notifications.services import notifications_resend


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "kind", "address", "ticket", "status", "attempts", "next_attempt_at", "sent_at")
    list_select_related = ("ticket",)
    list_filter = ("status", "kind")
    search_fields = ("address", "=ticket__id", "message_id")
    fields = (
        "kind",
        "recipient",
        "address",
        "ticket",
        "event",
        "key",
        "subject",
        "message_id",
        "status",
        "attempts",
        "next_attempt_at",
        "started_at",
        "sent_at",
        "created_at",
        "last_error",
    )
    readonly_fields = fields
    actions = ["resend_selected"]
    show_full_result_count = False

    @admin.action(description="Resend selected failed or bounced mails", permissions=["resend"])
    def resend_selected(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        resent = notifications_resend(
            notifications=queryset.filter(status__in=[NotificationStatus.FAILED, NotificationStatus.BOUNCED])
        )
        self.message_user(request, f"Queued {counted(resent, 'mail')} again.", messages.SUCCESS)
        if resent < queryset.count():
            self.message_user(request, "Only failed or bounced mails are resent; the others were left alone.")

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions
