"""What the search app does when something happens (see events/registry.py): reindex the ticket's text."""

from __future__ import annotations

from events.models import EventKind
from events.registry import on
from search import tasks

# Every event that changes text a search reads: subject and description, replies and notes, form answers, tags,
# a merge, the requester's name or address, a tag's name.
on(EventKind.TICKET_CREATED, tasks.index_ticket)
on(EventKind.TICKET_EDITED, tasks.index_ticket)
on(EventKind.COMMENT_ADDED, tasks.index_ticket)
on(EventKind.REQUESTER_REPLIED, tasks.index_ticket)
on(EventKind.FORM_SUBMITTED, tasks.index_ticket)
on(EventKind.TAGS_CHANGED, tasks.index_ticket)
on(EventKind.TICKET_MERGED, tasks.index_ticket)  # recorded on both tickets: the conversation moved between them
on(EventKind.USER_EDITED, tasks.index_requester_tickets)
on(EventKind.TAG_RENAMED, tasks.index_tagged_tickets)
