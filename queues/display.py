"""What a line of the queue shows, worked out once per row, and its HTML.

The queue renders 50 rows per page. Looking each value up through model attributes, template filters, includes
and inclusion tags per cell was most of the page's time, and even with ready values the template language spent
a third of a millisecond per row. So each row is a plain dataclass of ready values (`queue_lines`), written as HTML
by `lines_html` (every value escaped), in the markup of the includes it replaces:
includes/status_badge.html, includes/priority_badge.html, includes/sender_unverified_badge.html,
search/includes/snippet.html, sla/includes/due.html and csat/includes/rating_badge.html.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from html import escape
from typing import Any

from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from csat.models import SatisfactionSurvey
from helpdesk.html_rows import month_abbreviations, url_with_id
from queues.keyset import KeysetPage
from search.highlight import snippet_html
from sla.display import Due, next_due
from sla.selectors import running_clocks_by_ticket
from tickets.models import Priority, Status
from tickets.selectors import ticket_list_extras, with_running_clocks

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
    def of(cls, moment: datetime, now: datetime, *, zone: tzinfo, months: Sequence[str]) -> Moment:
        """`zone`: the current time zone; `months`: the month abbreviations by number (month_abbreviations())."""
        local = moment.astimezone(zone)
        text = f"{months[local.month]} {local.day}, {local.year}, {local:%H:%M}"
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
    clocks = running_clocks_by_ticket(with_running_clocks(rows))
    zone, months = timezone.get_current_timezone(), month_abbreviations()
    url_of = url_with_id("staff_ticket_detail")
    lines = []
    for row in rows:
        pk = row["id"]
        survey = extras.latest_surveys.get(pk)
        lines.append(
            QueueLine(
                id=pk,
                url=url_of(pk),
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
                due=next_due(clocks.get(pk, []), now),
                survey=survey,
                rating_text=survey.get_rating_display().lower() if survey and survey.rating else "",
                created=Moment.of(row["created_at"], now, zone=zone, months=months),
                updated=Moment.of(row["updated_at"], now, zone=zone, months=months),
            )
        )
    return lines


UNVERIFIED_BADGE = mark_safe(
    '<span class="badge badge-warning" title="Submitted without signing in: the address was typed, not proven">'
    "Sender not verified</span>"
)
NOTE_MARK = mark_safe('<span class="queue-note-mark">Note:</span> ')
NO_SLA = mark_safe('<span class="muted">—</span>')
UNASSIGNED = mark_safe('<span class="muted">Unassigned</span>')
NOT_RATED = mark_safe(' <span class="muted">Not rated</span>')

ROW = """<tr data-ticket-row data-ticket-id="{id}">
  <td class="col-select"><input type="checkbox" name="ticket" value="{id}" form="bulk"{checked} \
aria-label="Select ticket {id}"></td>
  <td class="col-id">{id}</td>
  <td class="col-subject"><a class="ticket-link" href="{url}">{subject}</a>{tags}{preview}{snippet}</td>
  <td class="col-requester"><span title="{requester_email}">{requester_name}</span> {unverified}</td>
  <td class="col-status"><span class="badge badge-status badge-status-{status}">\
<span class="visually-hidden">Status: </span>{status_label}</span>{rating}</td>
  <td class="col-priority"><span class="badge badge-priority badge-priority-{priority_name}">\
<span class="visually-hidden">Priority: </span>{priority_label}</span></td>
  <td class="col-assignee">{assignee}</td>
  <td class="col-sla">{sla}</td>
  <td class="col-time"><time datetime="{created_iso}" title="Created {created_text}">{created_ago}</time></td>
  <td class="col-time"><time datetime="{updated_iso}" title="Updated {updated_text}">{updated_ago}</time></td>
</tr>
"""


@dataclass(frozen=True)
class ShownPage:
    """A page of the queue as shown, plain values only (queues/kept.py keeps it in the cache): its rows' HTML, how
    many rows, the cursors of the pages around it, and whether it is a text search's (its count is read off it)."""

    rows_html: str
    row_count: int
    next_cursor: str | None
    previous_cursor: str | None
    searched: bool

    @classmethod
    def of(cls, page: KeysetPage, *, now: datetime, searched: bool, ticked: Collection[int] = ()) -> ShownPage:
        """`ticked`: the rows whose checkbox shows ticked (a refused bulk form's, sent back)."""
        return cls(
            rows_html=str(lines_html(queue_lines(page.rows, now=now), ticked=ticked)),
            row_count=len(page.rows),
            next_cursor=page.next_cursor,
            previous_cursor=page.previous_cursor,
            searched=searched,
        )

    @property
    def rows(self) -> SafeString:
        """The rows' HTML: `lines_html`'s, every value in it escaped."""
        return SafeString(self.rows_html)


def lines_html(lines: Iterable[QueueLine], *, ticked: Collection[int] = ()) -> SafeString:
    """The table rows of `lines`, those in `ticked` with their checkbox ticked."""
    return SafeString("".join(_line_html(line, ticked=line.id in ticked) for line in lines))


def _line_html(line: QueueLine, *, ticked: bool = False) -> str:
    """One row. Every value is escaped with `escape` (html.escape, what Django's escape does, without the lazy-string
    wrapper around it, which was most of the cost of some 1,800 escapes a page); the snippet is already HTML."""
    tags = "".join([f' <span class="tag">{escape(tag)}</span>' for tag in line.tags])
    preview = (
        f' <span class="queue-preview">{NOTE_MARK if line.preview_internal else ""}{escape(line.preview)}</span>'
        if line.preview
        else ""
    )
    snippet = f' <span class="search-snippet">{conditional_escape(line.snippet)}</span>' if line.snippet else ""
    if line.survey is None:
        rating = ""
    elif line.survey.rating:
        rating = (
            f' <span class="csat csat-{escape(line.survey.rating)}" title="{escape(line.survey.comment)}">'
            f"Rated {escape(line.rating_text)}</span>"
        )
    else:
        rating = NOT_RATED
    sla = f'<span class="sla sla-{escape(line.due.state)}">{escape(line.due.text)}</span>' if line.due else NO_SLA
    return ROW.format(
        id=int(line.id),
        checked=" checked" if ticked else "",
        url=escape(line.url),
        subject=escape(line.subject),
        tags=tags,
        preview=preview,
        snippet=snippet,
        requester_email=escape(line.requester_email),
        requester_name=escape(line.requester_name),
        unverified="" if line.sender_verified else UNVERIFIED_BADGE,
        status=escape(line.status),
        status_label=escape(line.status_label),
        rating=rating,
        priority_name=escape(line.priority_name),
        priority_label=escape(line.priority_label),
        assignee=escape(line.assignee_name) if line.assignee_name else UNASSIGNED,
        sla=sla,
        created_iso=escape(line.created.iso),
        created_text=escape(line.created.text),
        created_ago=escape(line.created.ago),
        updated_iso=escape(line.updated.iso),
        updated_text=escape(line.updated.text),
        updated_ago=escape(line.updated.ago),
    )
