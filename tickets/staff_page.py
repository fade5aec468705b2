"""What the staff ticket page reads and shows on every view, read with SQL compiled once and written in Python.

With a hundred comments, most of the page's CPU time went to compiling its queries (the ORM took longer to compile
each than PostgreSQL took to answer it), to building a Comment and a User instance per comment, and to writing each
comment, event and sidebar row through template tags and includes that looked every value up again, with the time
zone and the month names per comment. Here:

- `helpdesk.sql.CompiledQuery` compiles each of the page's queries once per process (the ticket, its tags, the
  comments, their files, the timeline, the links, the requester's other tickets here; the triage form's options in
  tickets/forms.py, the ticket's mail in inbound/selectors.py, the macros in macros/selectors.py), so that a view of
  the page after the first compiles none; those that go through tickets_visible_to only for users who see every
  ticket (`sees_every_ticket`), others get the ORM's own queries;
- the comments, events and links are plain rows of the columns shown, not model instances;
- the conversation (`conversation_html`), the timeline's rows (`timeline_html`) and the requester's other tickets
  (`requester_tickets_html`) are written as HTML in one pass each, every user-supplied value escaped, in exactly the
  markup of the templates they replace: tests/tickets/test_staff_page_conversation.py and
  test_staff_page_timeline.py hold them equal byte for byte. The requester's and the private link pages still
  render templates/includes/conversation.html.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

from helpdesk.html_rows import month_abbreviations, url_with_id
from helpdesk.sql import CompiledQuery
from helpdesk.templatetags.timestamps import timestamp_display
from tickets.filters import ID_MAX
from tickets.models import Attachment, Comment, Status, Tag, Ticket, TicketEvent, TicketEventKind, TicketLink
from tickets.permissions import AnyUser, can_see_internal
from tickets.selectors import (
    requester_other_tickets,
    requester_other_tickets_of,
    sees_every_ticket,
    staff_ticket_badges,
    staff_ticket_page_for,
)
from tickets.services.links import LinkView, relation_of


def _ticket(pk: int, *, user: AnyUser) -> QuerySet[Ticket]:
    return staff_ticket_page_for(user).prefetch_related(None).filter(pk=pk)


def _tags(ticket_id: int) -> QuerySet[Tag]:
    # What staff_ticket_page_for's prefetch_related("tags") reads, in Tag's own order.
    return Tag.objects.filter(tickets=ticket_id)


def _requester_others(requester_id: int, ticket_id: int, *, user: AnyUser) -> QuerySet[Ticket]:
    return requester_other_tickets_of(user, requester_id=requester_id, ticket_id=ticket_id)


TICKET = CompiledQuery(_ticket)
TAGS = CompiledQuery(_tags)
# Not prepared (helpdesk/sql.py): the index on the requester serves one with a handful of tickets, not one with
# thousands, so the best plan depends on the requester.
REQUESTER_OTHERS = CompiledQuery(_requester_others, prepared=False)


def staff_page_ticket(user: AnyUser, pk: int) -> Ticket:
    """staff_ticket_badges(get_object_or_404(staff_ticket_page_for(user), pk=pk)), with its two queries (the ticket,
    its tags) compiled once for users who see every ticket."""
    if not sees_every_ticket(user):
        return staff_ticket_badges(get_object_or_404(staff_ticket_page_for(user), pk=pk))
    found = TICKET.objects(pk, user=user) if pk <= ID_MAX else []  # a larger id is no ticket's (and no bigint)
    if not found:
        raise Http404("No Ticket matches the given query.")
    ticket = found[0]
    # The tags as prefetch_related("tags") leaves them (django.db.models.query.prefetch_one_level): the related
    # manager's queryset, already read, so that ticket.tags.all() makes no query.
    tags = ticket.tags.all()
    tags._result_cache = TAGS.objects(ticket.pk)
    tags._prefetch_done = True
    ticket._prefetched_objects_cache = {"tags": tags}
    return staff_ticket_badges(ticket)


def requester_others(user: AnyUser, ticket: Ticket) -> list[Ticket]:
    """tickets.selectors.requester_other_tickets, compiled once for users who see every ticket."""
    if not sees_every_ticket(user):
        return requester_other_tickets(user, ticket)
    return REQUESTER_OTHERS.objects(ticket.requester_id, ticket.pk, user=user)


def _comments(ticket_id: int, *, variant: bool) -> QuerySet[Comment, tuple[Any, ...]]:
    # As comments_visible_to and inbound.selectors.comments_with_mail_source read them, in Comment's own order.
    comments = Comment.objects.filter(ticket_id=ticket_id)
    if not variant:  # the variant: whether the user may see internal notes (can_see_internal)
        comments = comments.filter(internal=False)
    return comments.values_list(
        "id", "author__name", "author__email", "internal", "created_at", "body_html", "inbound_message__id"
    )


def _files(ticket_id: int, *, variant: bool) -> QuerySet[Attachment, tuple[Any, ...]]:
    # As tickets.selectors.conversation_of reads them.
    files = Attachment.objects.filter(ticket_id=ticket_id)
    if not variant:  # the variant: whether the user may see internal notes (can_see_internal)
        files = files.filter(Q(comment__isnull=True) | Q(comment__internal=False))
    return files.order_by("id").values_list("id", "comment_id", "filename", "size")


def _events(ticket_id: int, *, variant: bool) -> QuerySet[TicketEvent, tuple[Any, ...]]:
    # As tickets.selectors.events_visible_to reads them, in TicketEvent's own order.
    events = TicketEvent.objects.filter(ticket_id=ticket_id)
    if not variant:  # the variant: whether the user may see internal notes (can_see_internal)
        events = events.filter(internal=False)
    return events.values_list(
        "actor_id",
        "actor__name",
        "actor__email",
        "via",
        "kind",
        "internal",
        "field",
        "old_value",
        "new_value",
        "created_at",
    )


def _links(ticket_id: int) -> QuerySet[TicketLink, tuple[Any, ...]]:
    # tickets.services.links.links_touching, with only what the linked tickets card shows of the tickets at both ends.
    links = TicketLink.objects.filter(Q(from_ticket_id=ticket_id) | Q(to_ticket_id=ticket_id))
    ends = [f"{end}__{column}" for end in ("from_ticket", "to_ticket") for column in ("subject", "status")]
    return links.values_list("id", "kind", "from_ticket_id", "to_ticket_id", *ends)


COMMENT_ROWS = CompiledQuery(_comments)
FILE_ROWS = CompiledQuery(_files)
EVENT_ROWS = CompiledQuery(_events)
LINK_ROWS = CompiledQuery(_links)


@dataclass(frozen=True)
class ShownFile:
    id: int
    filename: str
    size: int


@dataclass(frozen=True)
class ShownComment:
    id: int
    author_name: str  # the author's display_name
    internal: bool
    created_at: datetime
    body_html: str  # sanitized when the comment was written (tickets.services)
    mail_id: int | None  # the stored mail it came by, for the "full mail" link
    files: list[ShownFile]


@dataclass(frozen=True)
class ShownConversation:
    opening_files: list[ShownFile]
    comments: list[ShownComment]

    @property
    def last_comment_id(self) -> int:
        return max((comment.id for comment in self.comments), default=0)


def conversation_for(user: AnyUser, ticket: Ticket) -> ShownConversation:
    """The comments `user` may see on `ticket` and the files shown with them and with the opening message, as
    tickets.selectors.conversation_of reads them: two queries, however long the conversation."""
    internal_shown = can_see_internal(user)
    files: dict[int | None, list[ShownFile]] = {}
    for file_id, comment_id, filename, size in FILE_ROWS.rows(ticket.pk, variant=internal_shown):
        files.setdefault(comment_id, []).append(ShownFile(file_id, filename, size))
    comments = [
        ShownComment(
            id=comment_id,
            author_name=name or email,
            internal=internal,
            created_at=created_at,
            body_html=body_html,
            mail_id=mail_id,
            files=files.get(comment_id, []),
        )
        for comment_id, name, email, internal, created_at, body_html, mail_id in COMMENT_ROWS.rows(
            ticket.pk, variant=internal_shown
        )
    ]
    return ShownConversation(opening_files=files.get(None, []), comments=comments)


def linked_tickets(ticket: Ticket) -> list[LinkView]:
    """Each link of the ticket, read from its side, for the linked tickets card: of the other ticket only its id,
    subject and status (a Ticket with the other columns deferred, as `.only()` would give)."""
    views = []
    for link_id, kind, from_id, to_id, from_subject, from_status, to_subject, to_status in LINK_ROWS.rows(ticket.pk):
        # from_db takes the values in the model's field order.
        link = TicketLink.from_db(
            DEFAULT_DB_ALIAS, ["id", "from_ticket_id", "to_ticket_id", "kind"], [link_id, from_id, to_id, kind]
        )
        if from_id == ticket.pk:
            other = Ticket.from_db(DEFAULT_DB_ALIAS, ["id", "subject", "status"], [to_id, to_subject, to_status])
        else:
            other = Ticket.from_db(DEFAULT_DB_ALIAS, ["id", "subject", "status"], [from_id, from_subject, from_status])
        relation = relation_of(kind=kind, from_ticket_id=from_id, ticket_id=ticket.pk)
        views.append(LinkView(link=link, relation=relation, other=other))
    return views


# --- HTML ----------------------------------------------------------------------------------------------------------


class _Clock:
    """`{% timestamp moment "muted" %}` (or without the class: `plain`), with the time zone and the month names
    looked up once for a whole page."""

    def __init__(self) -> None:
        self.zone: tzinfo = timezone.get_current_timezone()
        self.months = tuple(str(conditional_escape(name)) for name in month_abbreviations())

    def time(self, moment: datetime, *, muted: bool = True) -> str:
        if timezone.is_aware(moment):
            moment = moment.astimezone(self.zone)
        shown = timestamp_display(moment, self.months)
        # isoformat() writes only digits and "-:+.T", and the month's name is escaped: nothing else needs escaping.
        css = ' class="muted"' if muted else ""
        return f'<time{css} datetime="{moment.isoformat()}">{shown}</time>'


def _files_html(files: Sequence[ShownFile]) -> str:
    """templates/includes/attachments.html, with the newline that ends the file."""
    if not files:
        return "\n"
    items = "".join(
        f'\n      <li><a href="{url_with_id("attachment_download")(file.id)}">{escape(file.filename)}</a> '
        f'<span class="muted">({conditional_escape(filesizeformat(file.size))})</span></li>\n    '
        for file in files
    )
    return f'\n  <ul class="attachments" aria-label="Attachments">\n    {items}\n  </ul>\n\n'


def _mail_link(mail_id: int | None) -> str:
    if not mail_id:
        return ""
    return f'<a class="muted" href="{url_with_id("inbound_message_original")(mail_id)}">full mail</a>'


def _opening_html(ticket: Ticket, opening_mail_id: int | None, files: Sequence[ShownFile], clock: _Clock) -> str:
    """templates/includes/opening_message.html"""
    # description_html is rendered from Markdown and sanitized by tickets.services when the ticket is written.
    description = ticket.description_html or "<p>(no description)</p>"
    return (
        '\n<article class="comment comment-opening">\n'
        '  <header class="comment-header">\n'
        f"    <strong>{escape(ticket.requester.display_name)}</strong>\n"
        '    <span class="muted">opened this ticket</span>\n'
        f"    {clock.time(ticket.created_at)}\n"
        "    \n"
        f"    {_mail_link(opening_mail_id)}\n"
        "  </header>\n"
        "  \n"
        f'  <div class="comment-body prose">{description}</div>\n'
        f"  {_files_html(files)}\n"
        "</article>\n"
    )


def _comment_html(comment: ShownComment, clock: _Clock) -> str:
    """tickets.templatetags.conversation's `{% conversation_comment %}` on a staff page."""
    internal = comment.internal
    # body_html is rendered from Markdown and sanitized by tickets.services when the comment is written.
    return (
        f'<article class="comment{" comment-internal" if internal else ""}" id="comment-{comment.id}">\n'
        '  <header class="comment-header">\n'
        f"    <strong>{escape(comment.author_name)}</strong>\n"
        f"    {INTERNAL_BADGE if internal else ''}\n"
        f"    {clock.time(comment.created_at)}\n"
        "    \n"
        f"    {_mail_link(comment.mail_id)}\n"
        "  </header>\n"
        "  \n"
        f'  <div class="comment-body prose">{comment.body_html}</div>\n'
        "  \n"
        f"  {_files_html(comment.files) if comment.files else ''}\n"
        "</article>"
    )


INTERNAL_BADGE = '<span class="badge badge-internal">Internal note</span>'
NO_REPLIES = "No replies yet."


def conversation_html(ticket: Ticket, conversation: ShownConversation, *, opening_mail_id: int | None) -> SafeString:
    """What `{% include "includes/conversation.html" with no_replies="No replies yet." %}` writes on the staff
    page: the opening message, then each comment, with its author, whether it is an internal note, its files and
    (for mail) a link to the stored message. Authors' names and file names are escaped; message bodies are the
    sanitized HTML stored with them."""
    clock = _Clock()
    if conversation.comments:
        comments = "".join(f"\n{_comment_html(comment, clock)}\n  " for comment in conversation.comments)
    else:
        comments = f'\n    <p class="muted">{NO_REPLIES}</p>\n  '
    return mark_safe(  # noqa: S308 - every part is escaped above or is sanitized HTML
        '\n\n<section aria-labelledby="conversation-heading">\n'
        '  <h2 id="conversation-heading">Conversation</h2>\n'
        f"  {_opening_html(ticket, opening_mail_id, conversation.opening_files, clock)}\n"
        f"  {comments}\n"
        "</section>\n"
    )


# --- The timeline and the requester's other tickets -----------------------------------------------------------------

EVENT_KIND_LABELS = dict(TicketEventKind.choices)
INTERNAL_ROW = ' class="event-internal"'
STAFF_ONLY = ' <span class="visually-hidden">(staff only)</span>'
STATUS_LABELS = dict(Status.choices)


def timeline_html(user: AnyUser, ticket: Ticket) -> SafeString:
    """The timeline table's rows as ticket_detail.html's loop over events_visible_to wrote them: who (or "System",
    and the automation that did it), what, the field, and its old and new values, all escaped; staff-only events
    marked. One query, compiled once."""
    clock = _Clock()
    rows = []
    for actor_id, name, email, via, kind, internal, field, old, new, created_at in EVENT_ROWS.rows(
        ticket.pk, variant=can_see_internal(user)
    ):
        who = escape(name or email) if actor_id is not None else "System"
        if via:
            who += f' <span class="muted">via {escape(via)}</span>'
        change = f'<span class="event-old">{escape(old)}</span> → ' if old else ""
        rows.append(
            f"\n          <tr{INTERNAL_ROW if internal else ''}>\n"
            f"            <td>{clock.time(created_at, muted=False)}</td>\n"
            f"            <td>{who}</td>\n"
            f"            <td>{escape(EVENT_KIND_LABELS.get(kind, kind))}"
            f"{STAFF_ONLY if internal else ''}</td>\n"
            f"            <td>{escape(field or '—')}</td>\n"
            f'            <td>{change}<span class="event-new">{escape(new or "none")}</span></td>\n'
            "          </tr>\n        "
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value is escaped above


def requester_tickets_html(tickets: Sequence[Ticket]) -> SafeString:
    """The requester card's list items: a link to each of the requester's other tickets and its status badge
    (includes/status_badge.html), subjects escaped."""
    items = []
    url_of = url_with_id("staff_ticket_detail")
    for other in tickets:
        status = escape(other.status)
        items.append(
            f'\n        <li><a href="{url_of(other.pk)}">#{other.pk} {escape(other.subject)}</a>\n'
            f'          <span class="badge badge-status badge-status-{status}"><span class="visually-hidden">Status: '
            f"</span>{escape(STATUS_LABELS.get(other.status, other.status))}</span>\n</li>\n      "
        )
    return mark_safe("".join(items))  # noqa: S308 - every value is escaped above
