"""The mail admins get when the worker disables a webhook endpoint. Queued by the handler of the endpoint's
`webhook.disabled` event (webhooks.tasks), and sent by the worker through notifications/ like every other mail: a
fault in queuing it is retried with the handler, a mail server that is down delays it; neither loses it."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from accounts.models import Role, User
from events.models import Event
from notifications.models import NotificationKind
from notifications.services import notification_queue
from webhooks.models import WebhookEndpoint


def mail_admins_endpoint_disabled(*, event: Event) -> None:
    """Queue one mail per active admin, once per time the endpoint was disabled (safe to repeat). Nothing when the
    endpoint was deleted or enabled again meanwhile: an admin has seen to it."""
    endpoint = WebhookEndpoint.objects.filter(pk=event.payload.get("endpoint_id"), is_active=False).first()
    if endpoint is None:
        return
    context = {
        "endpoint": endpoint,
        "disabled_at": event.created_at,  # recorded with the disabling; updated_at moves with any later edit
        "url": settings.SITE_URL + reverse("webhook_detail", args=[endpoint.pk]),
    }
    for admin in User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk"):
        notification_queue(
            kind=NotificationKind.WEBHOOK_DISABLED,
            # One mail per time it is disabled: enabled again and disabled later, the admins are told again.
            key=f"webhook-disabled:{endpoint.pk}:{event.pk}",
            ticket=None,
            recipient=admin,
            context=context,
        )
