"""The mails about ticket changes. Sent by the worker (see tickets/tasks.py), never inside a request."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from accounts.models import User
from tickets.models import Comment, Ticket


def _ticket_url(ticket: Ticket, *, staff: bool) -> str:
    path = reverse("staff_ticket_detail" if staff else "ticket_detail", args=[ticket.pk])
    return f"{settings.SITE_URL}{path}"


def notify_requester_of_reply(*, comment_id: int) -> None:
    """The requester hears about every public reply from staff; `comment_create` decides which replies those are."""
    comment = Comment.objects.select_related("ticket__requester", "author").get(pk=comment_id)
    ticket = comment.ticket
    send_mail(
        subject=f"[#{ticket.pk}] {ticket.subject}",
        message=f"{comment.author.display_name} replied:\n\n{comment.body}\n\nView or reply: "
        f"{_ticket_url(ticket, staff=False)}\n",
        from_email=None,
        recipient_list=[ticket.requester.email],
    )


def notify_requester_of_status(*, ticket_id: int) -> None:
    ticket = Ticket.objects.select_related("requester").get(pk=ticket_id)
    send_mail(
        subject=f"[#{ticket.pk}] {ticket.subject} is now {ticket.get_status_display().lower()}",
        message=f"Your ticket is now {ticket.get_status_display().lower()}.\n\n{_ticket_url(ticket, staff=False)}\n",
        from_email=None,
        recipient_list=[ticket.requester.email],
    )


def notify_assignee(*, ticket_id: int, assignee_id: int) -> None:
    """An agent hears about a ticket assigned to them by someone else."""
    ticket = Ticket.objects.get(pk=ticket_id)
    assignee = User.objects.get(pk=assignee_id)
    send_mail(
        subject=f"[#{ticket.pk}] assigned to you: {ticket.subject}",
        message=f"You have been assigned ticket #{ticket.pk}.\n\n{_ticket_url(ticket, staff=True)}\n",
        from_email=None,
        recipient_list=[assignee.email],
    )
