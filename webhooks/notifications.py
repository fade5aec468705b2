"""The mail admins get when the worker disables a webhook endpoint. Recorded and sent by the worker through
notifications/, like every other mail, so a mail server that is down delays it and loses none."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.urls import reverse

from accounts.models import Role, User
from notifications.models import NotificationKind
from notifications.services import notification_queue

if TYPE_CHECKING:
    from webhooks.models import WebhookEndpoint


def mail_admins_endpoint_disabled(*, endpoint: WebhookEndpoint) -> None:
    """Queue one mail per active admin in the caller's transaction (the one that disabled the endpoint)."""
    context = {"endpoint": endpoint, "url": settings.SITE_URL + reverse("webhook_detail", args=[endpoint.pk])}
    for admin in User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk"):
        notification_queue(
            kind=NotificationKind.WEBHOOK_DISABLED,
            # One mail per time it is disabled: enabled again and disabled later, the admins are told again.
            key=f"webhook-disabled:{endpoint.pk}:{endpoint.updated_at.isoformat()}",
            ticket=None,
            recipient=admin,
            context=context,
        )
