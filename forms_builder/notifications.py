"""The mails of the forms app. Sent by the worker (forms_builder/tasks.py), never inside a request."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from tickets.models import Ticket


def mail_private_link(*, ticket: Ticket, token: str) -> None:
    """A ticket's new private link, to the address on the ticket (whoever owns it, not whoever typed it)."""
    link = f"{settings.SITE_URL}{reverse('form_private_ticket', args=[token])}"
    send_mail(
        subject=f"[#{ticket.pk}] Your private link to {ticket.subject}",
        message=render_to_string("emails/private_link.txt", {"ticket": ticket, "link": link}),
        from_email=None,
        recipient_list=[ticket.requester.email],
    )
