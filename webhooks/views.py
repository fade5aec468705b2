"""The Webhooks page (admins): endpoints, a new one (its secret shown once), each endpoint's settings and delivery
log, rotate the secret, redeliver. Requesters get 404 like on every staff page, agents 403."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from helpdesk.decorators import admin_required, staff_required
from helpdesk.errors import DomainError
from helpdesk.forms import form_add_domain_error
from webhooks import services
from webhooks.admin import secret_page
from webhooks.forms import WebhookEndpointForm
from webhooks.models import WebhookDelivery, WebhookEndpoint

DELIVERIES_PAGE_SIZE = 25


@require_http_methods(["GET", "POST"])
@login_required
@staff_required
@admin_required
def webhook_list(request: HttpRequest) -> HttpResponse:
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in services.ENDPOINT_FIELDS}
        try:
            endpoint = services.webhook_endpoint_create(actor=request.user, **fields)
        except DomainError as error:
            form_add_domain_error(form, error)
        else:
            return secret_page(request, [endpoint], rotated=False)
    endpoints = WebhookEndpoint.objects.order_by("id")
    return render(request, "webhooks/list.html", {"endpoints": endpoints, "form": form})


@require_http_methods(["GET", "POST"])
@login_required
@staff_required
@admin_required
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    form = WebhookEndpointForm(request.POST or None, instance=endpoint)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in services.ENDPOINT_FIELDS}
        try:
            services.webhook_endpoint_update(endpoint=endpoint, **fields)
        except DomainError as error:
            form_add_domain_error(form, error)
        else:
            messages.success(request, "The endpoint was saved.")
            return redirect("webhook_detail", pk=endpoint.pk)
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-id").prefetch_related("attempt_log")
    page = Paginator(deliveries, DELIVERIES_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "webhooks/detail.html", {"endpoint": endpoint, "form": form, "page": page})


@require_http_methods(["POST"])
@login_required
@staff_required
@admin_required
def webhook_rotate_secret(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    return secret_page(request, [services.webhook_endpoint_rotate_secret(endpoint=endpoint)], rotated=True)


@require_http_methods(["POST"])
@login_required
@staff_required
@admin_required
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    services.webhook_endpoint_delete(endpoint=endpoint)
    messages.success(request, f"The endpoint {endpoint.url} was deleted.")
    return redirect("webhook_list")


@require_http_methods(["POST"])
@login_required
@staff_required
@admin_required
def webhook_redeliver(request: HttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_pk, endpoint_id=pk)
    try:
        services.delivery_redeliver(delivery=delivery)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Delivery {delivery.pk} was queued again.")
    return redirect("webhook_detail", pk=pk)
