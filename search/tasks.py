"""The search app's background work: keeping a ticket's search document in step with the ticket."""

from __future__ import annotations

from events.models import Event
from events.runner import event_handler
from search import services


@event_handler
def index_ticket(event: Event) -> None:
    """Rebuild the ticket's document from its data: idempotent, and right whatever order events arrive in."""
    if event.ticket_id is not None:
        services.ticket_document_rebuild(ticket_id=event.ticket_id)


@event_handler
def index_requester_tickets(event: Event) -> None:
    """Rebuild the documents of every ticket of a requester whose name or address changed."""
    services.requester_documents_rebuild(requester_id=event.payload["user_id"])


@event_handler
def index_tagged_tickets(event: Event) -> None:
    """Rebuild the documents of every ticket carrying a tag that was renamed."""
    services.tag_documents_rebuild(tag_id=event.payload["tag_id"])
