"""The tickets app's background work: event handlers that mail the people who should hear of a change.

Each is idempotent in the sense the runner needs: it reads the event's ids and decides again from the data.
"""

from __future__ import annotations

from events.models import Event
from events.runner import event_handler
from tickets import notifications
from tickets.models import Status


@event_handler
def mail_requester_about_reply(event: Event) -> None:
    """A public reply from staff to someone else's ticket: `comment_create` decided it answers the requester."""
    if event.payload.get("answers_requester"):
        notifications.notify_requester_of_reply(comment_id=event.payload["comment_id"])


@event_handler
def mail_requester_about_resolution(event: Event) -> None:
    if event.payload.get("new") == Status.RESOLVED:
        notifications.notify_requester_of_status(ticket_id=event.ticket_id)


@event_handler
def mail_new_assignee(event: Event) -> None:
    """An agent hears about a ticket assigned to them by someone else."""
    assignee_id = event.payload.get("new")
    if assignee_id is not None and assignee_id != event.actor_id:
        notifications.notify_assignee(ticket_id=event.ticket_id, assignee_id=assignee_id)
