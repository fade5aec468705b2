"""Every write that changes a ticket. Pages, the API and the admin all come through here, so all are audited.

Where does a ticket change status? `status.py`, checked against `tickets.workflow`. Opening a ticket:
`creation.py`; triage edits: `triage.py`; replies and notes: `comments.py`; every audit entry and domain event:
`audit.py`. Where does an SLA clock start, pause or stop? Each of these services that changes what a clock measures
ends by calling `sla.services.sla_clocks_update`, which brings the ticket's clocks in line with the ticket as saved
(an internal note, or an edit of the subject and description, does not).
"""

from __future__ import annotations

from tickets.services.attachments import attachments_orphaned_delete, display_filename
from tickets.services.comments import comment_create
from tickets.services.creation import REQUESTER_INACTIVE, ticket_create
from tickets.services.links import ticket_link, ticket_unlink
from tickets.services.merge import ticket_merge
from tickets.services.status import ticket_change_status
from tickets.services.tags import normalize_tag_names
from tickets.services.triage import (
    UNSET,
    TicketChanges,
    rows_an_edit_names,
    ticket_edit_content,
    ticket_lock_unchanged,
    ticket_take,
    ticket_update,
)

__all__ = [
    "REQUESTER_INACTIVE",
    "UNSET",
    "TicketChanges",
    "attachments_orphaned_delete",
    "comment_create",
    "display_filename",
    "normalize_tag_names",
    "rows_an_edit_names",
    "ticket_change_status",
    "ticket_create",
    "ticket_edit_content",
    "ticket_link",
    "ticket_lock_unchanged",
    "ticket_merge",
    "ticket_take",
    "ticket_unlink",
    "ticket_update",
]
