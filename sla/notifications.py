"""The escalation mail: a ticket's promise is about to be missed, or was. Sent by the worker, never in a request."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import User
from sla.models import EscalationKind, EscalationNotice


def escalation_recipients(notice: EscalationNotice) -> list[User]:
    """The assignee; the team's agents when nobody is assigned; nobody when there is neither."""
    ticket = notice.clock.ticket
    if ticket.assignee is not None and ticket.assignee.is_agent_or_admin:
        return [ticket.assignee]
    if ticket.team is not None:
        return list(User.objects.staff().filter(teams=ticket.team))
    return []


def mail_escalation(*, notice: EscalationNotice) -> None:
    recipients = escalation_recipients(notice)
    if not recipients:
        return
    clock = notice.clock
    ticket = clock.ticket
    context = {
        "ticket": ticket,
        "clock": clock,
        "breached": notice.kind == EscalationKind.BREACHED,
        "url": settings.SITE_URL + reverse("staff_ticket_detail", args=[ticket.pk]),
    }
    send_mail(
        subject=render_to_string("emails/sla_escalation_subject.txt", context).strip(),
        message=render_to_string("emails/sla_escalation.txt", context),
        from_email=None,
        recipient_list=[user.email for user in recipients],
    )
