"""Endpoints are edited here (saved through webhooks.services; the secret is shown once, on a page of its own);
deliveries and their attempts are read-only, and can be redelivered. Admins only (agents have no permission)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html

from helpdesk.admin_support import ReadOnlyAdminMixin, ServiceDeletionMixin, adopt_saved, counted
from webhooks import services
from webhooks.forms import WebhookEndpointForm
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def secret_page(request: HttpRequest, endpoints: list[WebhookEndpoint], *, rotated: bool) -> HttpResponse:
    """The only place a secret is shown: not stored in a message or the session, and never cached."""
    context = {"endpoints": endpoints, "rotated": rotated, "overlap_hours": settings.WEBHOOK_SECRET_OVERLAP_HOURS}
    response = render(request, "webhooks/secret.html", context)
    response["Cache-Control"] = "no-store"
    return response


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ServiceDeletionMixin, admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ("url", "description", "is_active", "include_internal", "disabled_reason", "delivery_log")
    list_filter = ("is_active", "include_internal")
    search_fields = ("url", "description")
    readonly_fields = ("disabled_reason", "previous_secret_expires_at", "created_by", "created_at", "updated_at")
    actions = ["rotate_secret"]

    @admin.display(description="Deliveries")
    def delivery_log(self, endpoint: WebhookEndpoint) -> str:
        url = reverse("admin:webhooks_webhookdelivery_changelist") + f"?endpoint__id__exact={endpoint.pk}"
        return format_html('<a href="{}">Log</a>', url)

    def save_model(self, request: HttpRequest, obj: WebhookEndpoint, form: Any, change: bool) -> None:
        fields = {name: form.cleaned_data[name] for name in services.ENDPOINT_FIELDS}
        if change:
            services.webhook_endpoint_update(endpoint=obj, **fields)
        else:
            adopt_saved(obj, services.webhook_endpoint_create(actor=request.user, **fields))

    def delete_one(self, request: HttpRequest, obj: WebhookEndpoint) -> None:
        services.webhook_endpoint_delete(endpoint=obj)

    def response_add(self, request: HttpRequest, obj: WebhookEndpoint, post_url_continue: str | None = None) -> Any:
        return secret_page(request, [obj], rotated=False)

    @admin.action(description="Rotate the signing secret of selected endpoints")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> HttpResponse:
        rotated = [services.webhook_endpoint_rotate_secret(endpoint=endpoint) for endpoint in queryset]
        return secret_page(request, rotated, rotated=True)


class WebhookAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = WebhookAttempt
    fields = ("number", "started_at", "duration_ms", "status_code", "error", "response_head")
    readonly_fields = fields
    extra = 0


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "endpoint", "kind", "ticket", "state", "attempts", "last_status", "next_attempt_at")
    list_select_related = ("endpoint", "ticket")  # each row names its ticket
    list_filter = ("state", "kind", "endpoint")
    search_fields = ("message_id", "=ticket__id", "=event__id")
    fields = (
        "endpoint",
        "event",
        "ticket",
        "kind",
        "message_id",
        "state",
        "attempts",
        "next_attempt_at",
        "give_up_at",
        "last_status",
        "last_error",
        "created_at",
        "delivered_at",
        "body",
    )
    readonly_fields = fields
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]
    show_full_result_count = False

    @admin.action(description="Redeliver selected deliveries", permissions=["redeliver"])
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = services.deliveries_redeliver(deliveries=list(queryset))
        self.message_user(request, f"Queued {counted(count, 'delivery', 'deliveries')} again.", messages.SUCCESS)
        if count < queryset.count():
            self.message_user(
                request, "Deliveries to disabled endpoints, or being sent, were left alone.", messages.INFO
            )

    def has_redeliver_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions
