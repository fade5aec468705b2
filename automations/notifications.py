"""The mail an automation rule sends: the admin's template, rendered for the ticket, to the chosen people.
Recorded and sent by the worker through notifications/, like every other mail."""

from __future__ import annotations

from django.template import Context, Template

from accounts.models import User
from automations.models import NotifyWho, Rule
from helpdesk.time_zones import in_zone_of
from notifications.models import NotificationKind
from notifications.services import notification_queue, ticket_url
from tickets.models import Ticket


def _recipients(rule: Rule, ticket: Ticket) -> list[User]:
    if rule.notify == NotifyWho.REQUESTER:
        return [ticket.requester]
    if rule.notify == NotifyWho.ASSIGNEE and ticket.assignee is not None:
        # An assignee since demoted to requester is told nothing meant for staff.
        return [ticket.assignee] if ticket.assignee.is_agent_or_admin else []
    if ticket.team is None:
        return []
    return list(User.objects.staff_of(ticket.team))


def mail_rule_notification(*, rule: Rule, ticket: Ticket, key: str, event_id: int | None = None) -> None:
    """Queue the rule's mail in the caller's transaction (the rule's actions): one per recipient."""
    url = ticket_url(ticket, staff=rule.notify != NotifyWho.REQUESTER)
    context = {"ticket": ticket, "url": url}
    template = Template(rule.notification_body)
    for recipient in _recipients(rule, ticket):
        with in_zone_of(recipient):  # the admin's template may tell times: in each recipient's zone, not the actor's
            body = template.render(Context(context, autoescape=False))
        notification_queue(
            kind=NotificationKind.AUTOMATION,
            key=key,
            ticket=ticket,
            recipient=recipient,
            event_id=event_id,
            context={**context, "body": body},
            subject=rule.notification_subject.strip() or None,
        )
