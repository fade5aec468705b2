"""Mailboxes (admins configure them), stored mail (read it, reprocess or discard what is quarantined), bounces."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from helpdesk.admin_support import ConfiguredRowsKeptForm, ReadOnlyAdminMixin, counted
from helpdesk.errors import DomainError
from inbound import permissions, services
from inbound.models import BouncedAddress, InboundMessage, InboundStatus, Mailbox


class MailboxForm(ConfiguredRowsKeptForm):
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text="Stored encrypted. Leave empty to keep the stored password.",
    )

    class Meta:
        model = Mailbox
        fields = (
            "name", "address", "is_active", "category", "team", "protocol", "host", "port", "security", "username",
            "password", "folder", "after_fetch", "processed_folder", "poll_interval_seconds",
        )  # fmt: skip

    def clean_password(self) -> str:
        # The stored password is never sent to the browser, so an empty field means "unchanged".
        return self.cleaned_data["password"] or (self.instance.password if self.instance.pk else "")


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = ("name", "address", "protocol", "host", "is_active", "last_polled_at", "has_error")
    list_filter = ("protocol", "is_active")
    search_fields = ("name", "address", "host")
    autocomplete_fields = ("category", "team")
    readonly_fields = ("last_polled_at", "next_poll_at", "last_error", "uid_validity", "last_uid")
    fieldsets = (
        (None, {"fields": ("name", "address", "is_active", "category", "team")}),
        ("Server", {"fields": ("protocol", "host", "port", "security", "username", "password")}),
        ("Fetching", {"fields": ("folder", "after_fetch", "processed_folder", "poll_interval_seconds")}),
        ("Last poll", {"fields": readonly_fields}),
    )

    @admin.display(boolean=True, description="error")
    def has_error(self, mailbox: Mailbox) -> bool:
        return bool(mailbox.last_error)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return permissions.can_manage_inbound_mail(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Mailbox | None = None) -> bool:
        return permissions.can_manage_inbound_mail(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return permissions.can_manage_inbound_mail(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Mailbox | None = None) -> bool:
        return permissions.can_manage_inbound_mail(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Mailbox | None = None) -> bool:
        return permissions.can_manage_inbound_mail(request.user)


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every stored mail. Quarantined mail waits here for an admin to reprocess or discard it."""

    list_display = ("id", "received_at", "from_address", "subject", "source", "status", "reason", "ticket")
    list_select_related = ("ticket",)
    list_filter = ("status", "reason", "source", "mailbox")
    search_fields = ("from_address", "subject", "message_id", "=ticket__id")
    fields = (
        "read_mail",
        "source",
        "source_id",
        "mailbox",
        "received_at",
        "from_address",
        "subject",
        "message_id",
        "envelope_recipient",
        "size",
        "sha256",
        "status",
        "reason",
        "detail",
        "attempts",
        "processed_at",
        "ticket",
        "comment",
        "decided_by",
    )
    readonly_fields = fields
    actions = ["reprocess_selected", "discard_selected"]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboundMessage]:
        return super().get_queryset(request).defer("raw")

    @admin.display(description="mail")
    def read_mail(self, message: InboundMessage) -> str:
        return format_html('<a href="{}">Read the mail</a>', reverse("inbound_message_original", args=[message.pk]))

    @admin.action(description="Reprocess selected quarantined mail", permissions=["manage"])
    def reprocess_selected(self, request: HttpRequest, queryset: QuerySet[InboundMessage]) -> None:
        self._apply(request, queryset, services.inbound_reprocess, "Queued {} again.")

    @admin.action(description="Discard selected quarantined mail", permissions=["manage"])
    def discard_selected(self, request: HttpRequest, queryset: QuerySet[InboundMessage]) -> None:
        self._apply(request, queryset, services.inbound_discard, "Discarded {}.")

    def _apply(self, request: HttpRequest, queryset: QuerySet[InboundMessage], action: Any, done: str) -> None:
        applied = 0
        for message in queryset.filter(status=InboundStatus.QUARANTINED):
            try:
                action(message=message, actor=request.user)
            except DomainError as error:
                self.message_user(request, f"Mail {message.pk}: {error.message}", messages.ERROR)
            else:
                applied += 1
        self.message_user(request, done.format(counted(applied, "message")), messages.SUCCESS)
        if applied < queryset.count():
            self.message_user(request, "Only quarantined mail can be reprocessed or discarded.", messages.INFO)

    def has_manage_permission(self, request: HttpRequest) -> bool:
        return permissions.can_manage_inbound_mail(request.user)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(BouncedAddress)
class BouncedAddressAdmin(admin.ModelAdmin):
    """Addresses our mail bounced from. Delete a row to treat the address as working again."""

    list_display = ("email", "bounce_count", "last_status", "first_bounced_at", "last_bounced_at")
    search_fields = ("email",)
    readonly_fields = ("email", "bounce_count", "last_status", "last_diagnostic", "first_bounced_at", "last_bounced_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
