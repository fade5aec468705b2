"""A ticket's ETag: the version a client read, checked again under the row lock before an edit is applied."""

from __future__ import annotations

from helpdesk.conditional import strong_etag
from tickets.models import Ticket


def ticket_etag(ticket: Ticket) -> str:
    """Hash every stored column and the tag names: the API representation is built from nothing else.

    updated_at alone would miss changes no service makes, such as a team deleted under the ticket (SET_NULL).
    """
    columns = [(field.attname, getattr(ticket, field.attname)) for field in Ticket._meta.concrete_fields]
    tags = sorted(tag.name for tag in ticket.tags.all())
    return strong_etag([columns, tags])
