"""The mail admins get when the worker disables a webhook endpoint. Sent after commit, never in a request."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import Role, User


def mail_admins_endpoint_disabled(*, endpoint_id: int) -> None:
    from webhooks.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
    recipients = list(User.objects.filter(role=Role.ADMIN, is_active=True).values_list("email", flat=True))
    if endpoint is None or not recipients:
        return
    context = {
        "endpoint": endpoint,
        "url": settings.SITE_URL + reverse("webhook_detail", args=[endpoint.pk]),
    }
    send_mail(
        # A header cannot hold a line break (BadHeaderError), and a description may have one.
        subject=" ".join(f"Webhook endpoint disabled: {endpoint}".split()),
        message=render_to_string("emails/webhook_disabled.txt", context),
        from_email=None,
        recipient_list=recipients,
    )
