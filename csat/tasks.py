"""Ask for a rating when a ticket is resolved."""

from __future__ import annotations

from csat import services
from events.models import Event
from events.runner import event_handler
from tickets.models import Status


@event_handler
def ask_for_rating(event: Event) -> None:
    if event.payload.get("new") == Status.RESOLVED and not event.quiet:
        services.survey_request(ticket_id=event.ticket_id)
