"""The mail an automation rule sends: the admin's template, rendered for the ticket, to the chosen people."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template import Context, Template
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import User
from automations.models import NotifyWho, Rule
from tickets.models import Ticket


def _recipients(rule: Rule, ticket: Ticket) -> list[User]:
    if rule.notify == NotifyWho.REQUESTER:
        return [ticket.requester]
    if rule.notify == NotifyWho.ASSIGNEE and ticket.assignee is not None:
        return [ticket.assignee]
    if ticket.team is None:
        return []
    return list(User.objects.staff().filter(teams=ticket.team))


def mail_rule_notification(*, rule_id: int, ticket_id: int) -> None:
    rule = Rule.objects.filter(pk=rule_id).first()
    ticket = Ticket.objects.select_related("requester", "assignee", "team").filter(pk=ticket_id).first()
    if rule is None or ticket is None:
        return
    recipients = _recipients(rule, ticket)
    if not recipients:
        return
    staff = rule.notify != NotifyWho.REQUESTER
    url = settings.SITE_URL + reverse("staff_ticket_detail" if staff else "ticket_detail", args=[ticket.pk])
    context = {"ticket": ticket, "url": url}
    body = Template(rule.notification_body).render(Context(context, autoescape=False))
    send_mail(
        subject=rule.notification_subject.strip() or f"[#{ticket.pk}] {ticket.subject}",
        message=render_to_string("emails/automation_notification.txt", {**context, "body": body}),
        from_email=None,
        recipient_list=[user.email for user in recipients],
    )
