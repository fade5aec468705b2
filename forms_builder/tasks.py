"""The forms app's background work: event handlers (see forms_builder/handlers.py)."""

from __future__ import annotations

from events.models import Event
from events.runner import event_handler
from forms_builder import services


@event_handler
def mail_new_private_link(event: Event) -> None:
    """Staff revoked a private link: mail a new one to the address on the ticket."""
    services.private_link_send(submission_id=event.payload["submission_id"], event_id=event.pk)
