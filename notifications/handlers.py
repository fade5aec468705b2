"""What the notifications app does when something happens (see events/registry.py)."""

from __future__ import annotations

from events.models import EventKind
from events.registry import on
from notifications import tasks

for kind in (
    EventKind.TICKET_CREATED,
    EventKind.COMMENT_ADDED,
    EventKind.REQUESTER_REPLIED,
    EventKind.STATUS_CHANGED,
    EventKind.ASSIGNEE_CHANGED,
):
    on(kind, tasks.mail_people_concerned)
on(EventKind.MAIL_BOUNCED, tasks.mark_bounced_mail)
