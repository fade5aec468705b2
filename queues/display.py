"""What a line of the queue shows, worked out in Python once per row: the template only places the values.

The queue renders 50 rows per page; looking each value up through model attributes, template filters, includes
and inclusion tags per cell was most of the page's time. Here each row is a plain dataclass of ready values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString

from csat.models import SatisfactionSurvey
from search.highlight import snippet_html
from sla.display import Due, next_due
from tickets.models import Priority, Status
from tickets.selectors import ticket_list_extras

STATUS_LABELS = dict(Status.choices)
PRIORITY_NAMES = {priority.value: priority.label for priority in Priority}


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """A compact relative time for dense lists: "now", "5m", "3h", "2d", "6w"; the full date goes in a title."""
    if moment is None:
        return ""
    seconds = max(0, int(((now or timezone.now()) - moment).total_seconds()))
    for unit, size in (("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return "now"


@dataclass(frozen=True)
class Moment:
    """A time as a `<time>` element shows it: machine-readable, in words for the title, and relative."""

    iso: str  # the `date:'c'` filter's output, in the current time zone
    text: str  # `date:'M j, Y, H:i'`
    ago: str

    @classmethod
    def of(cls, moment: datetime, now: datetime) -> Moment:
        local = timezone.localtime(moment)
        text = f"{MONTHS_3[local.month].title()} {local.day}, {local.year}, {local:%H:%M}"
        return cls(iso=local.isoformat(), text=text, ago=ago(moment, now))


@dataclass(frozen=True)
class QueueLine:
    id: int
    url: str
    subject: str
    tags: list[str]
    preview: str | None  # the start of the last message (or of the description)
    preview_internal: bool  # the last message is an internal note
    snippet: SafeString | None  # a search result's passage, highlighted
    requester_name: str
    requester_email: str
    sender_verified: bool
    status: str
    status_label: str
    priority_name: str  # "low", a CSS class suffix
    priority_label: str  # "Low"
    assignee_name: str | None
    due: Due | None  # the SLA promise to watch
    survey: SatisfactionSurvey | None  # the latest resolution's satisfaction survey
    rating_text: str  # its rating in words, lower case ("" when not rated)
    created: Moment
    updated: Moment


def queue_lines(rows: Iterable[dict[str, Any]], *, now: datetime) -> list[QueueLine]:
    """The lines of a page of `queues.selectors.queue_rows`: tags, SLA clocks and surveys in a query each at most."""
    rows = list(rows)
    extras = ticket_list_extras(rows)
    lines = []
    for row in rows:
        pk = row["id"]
        survey = extras.latest_surveys.get(pk)
        lines.append(
            QueueLine(
                id=pk,
                url=reverse("staff_ticket_detail", args=[pk]),
                subject=row["subject"],
                tags=extras.tags[pk],
                preview=row["preview"],
                preview_internal=bool(row["preview_internal"]),
                snippet=snippet_html(row["search_snippet"]) if row.get("search_snippet") else None,
                requester_name=row["requester__name"] or row["requester__email"],
                requester_email=row["requester__email"],
                sender_verified=row["sender_verified"],
                status=row["status"],
                status_label=STATUS_LABELS[row["status"]],
                priority_name=PRIORITY_NAMES[row["priority"]],
                priority_label=PRIORITY_NAMES[row["priority"]].capitalize(),
                assignee_name=(row["assignee__name"] or row["assignee__email"]) if row["assignee_id"] else None,
                due=next_due(extras.running_clocks.get(pk, []), now),
                survey=survey,
                rating_text=survey.get_rating_display().lower() if survey and survey.rating else "",
                created=Moment.of(row["created_at"], now),
                updated=Moment.of(row["updated_at"], now),
            )
        )
    return lines
