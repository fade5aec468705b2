"""The mails of the forms app: recorded and sent by the worker through notifications/, never inside a request."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from notifications.models import NotificationKind
from notifications.services import notification_queue
from tickets.models import Ticket


def mail_private_link(*, ticket: Ticket, token: str, event_id: int) -> None:
    """A ticket's new private link, to the address on the ticket (whoever owns it, not whoever typed it)."""
    link = f"{settings.SITE_URL}{reverse('form_private_ticket', args=[token])}"
    notification_queue(
        kind=NotificationKind.PRIVATE_LINK,
        key=f"event:{event_id}",
        ticket=ticket,
        address=ticket.requester.email,
        event_id=event_id,
        context={"link": link, "url": link},
    )
