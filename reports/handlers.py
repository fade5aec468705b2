"""What the reports app does when something happens (see events/registry.py): recompute the ticket's metrics, and
after a merge, mark stale the days of the replies it moved."""

from __future__ import annotations

from events.models import EventKind
from events.registry import on
from reports import tasks

# Everything that changes a figure of TicketMetrics: its dimensions, its times, its replies, SLA and CSAT. A merge
# moves the merged ticket's replies onto the other one (as internal notes across requesters): it is recorded on both.
METRIC_EVENTS = (
    EventKind.TICKET_CREATED,
    EventKind.STATUS_CHANGED,
    EventKind.PRIORITY_CHANGED,
    EventKind.ASSIGNEE_CHANGED,
    EventKind.TEAM_CHANGED,
    EventKind.CATEGORY_CHANGED,
    EventKind.COMMENT_ADDED,
    EventKind.TICKET_MERGED,
    EventKind.SLA_BREACHED,
    EventKind.CSAT_RATED,
)

for kind in METRIC_EVENTS:
    on(kind, tasks.ticket_metrics_refresh)
# The moved replies count on their own days, under the merged ticket's figures: those days' rollups are out of date.
on(EventKind.TICKET_MERGED, tasks.merged_reply_days_mark_stale)
