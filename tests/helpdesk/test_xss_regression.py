"""Stored XSS: hostile text in any user-supplied field is shown as text, and never runs, on every page showing it.

A surface pairs a field with a page that shows it. Each test writes every payload into the field through the
services (as every front door does), one record per payload, then renders the page once for each distinct
address and viewer: a list shows all nine records at once, a detail page one record at a time.

The forms issue adds dynamic form answers here: a writer in FIELDS and its pages in SURFACES.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import Role, User
from accounts.services import user_create
from forms_builder.models import Field, FieldType, Form
from forms_builder.services import form_publish, submission_create
from tests.support.html import shows_as_text
from tests.support.xss import PAYLOADS, unexpected_active_content
from tickets.models import Attachment, Category, Comment, Tag, Ticket, TicketEvent, TicketEventKind
from tickets.services import comment_create, ticket_create


@dataclass(frozen=True)
class Cast:
    alice: User
    bob: User
    carol: User
    category: Category
    ticket: Ticket  # Alice's ticket, where the conversation fields are written


@dataclass(frozen=True)
class Written:
    """Where one payload ended up, and the text a page must show for it."""

    shown: str
    ticket: Ticket
    comment: Comment | None = None
    attachment: Attachment | None = None
    event: TicketEvent | None = None
    user: User | None = None
    tag: Tag | None = None
    token: str | None = None  # a public form's private link


# --- fields: write one payload the way a user would -------------------------------------------------------------


def write_subject(payload: str, number: int, cast: Cast) -> Written:
    ticket = ticket_create(requester=cast.alice, subject=payload, category=cast.category)
    # A reply with a file, so the comment, attachment and event admins show the ticket (by its subject) as well.
    comment = comment_create(ticket=ticket, author=cast.alice, body="Any news?", files=[_upload("invoice.pdf")])
    created = ticket.events.get(kind=TicketEventKind.CREATED)  # its new value is the subject
    return Written(payload, ticket, comment=comment, attachment=comment.attachments.get(), event=created)


def write_description(payload: str, number: int, cast: Cast) -> Written:
    ticket = ticket_create(requester=cast.alice, subject=f"Ticket {number}", description=payload)
    return Written(payload, ticket)


def write_public_comment(payload: str, number: int, cast: Cast) -> Written:
    return Written(payload, cast.ticket, comment=comment_create(ticket=cast.ticket, author=cast.alice, body=payload))


def write_internal_note(payload: str, number: int, cast: Cast) -> Written:
    note = comment_create(ticket=cast.ticket, author=cast.bob, body=payload, internal=True)
    return Written(payload, cast.ticket, comment=note)


def write_requester_name(payload: str, number: int, cast: Cast) -> Written:
    requester = user_create(email=f"requester{number}@example.com", name=payload)
    ticket = ticket_create(requester=requester, subject=f"Ticket {number}", category=cast.category)
    comment = comment_create(ticket=ticket, author=requester, body="Hello")
    created = ticket.events.get(kind=TicketEventKind.CREATED)  # its actor is the requester
    return Written(payload, ticket, comment=comment, event=created, user=requester)


def write_agent_name(payload: str, number: int, cast: Cast) -> Written:
    agent = user_create(email=f"agent{number}@example.com", name=payload, role=Role.AGENT)
    cast.category.default_team.members.add(agent)
    ticket_create(requester=cast.alice, subject=f"Ticket {number}", category=cast.category, assignee=agent, actor=agent)
    comment = comment_create(ticket=cast.ticket, author=agent, body="On it.")
    return Written(payload, cast.ticket, comment=comment, user=agent)


def write_attachment_filename(payload: str, number: int, cast: Cast) -> Written:
    comment = comment_create(ticket=cast.ticket, author=cast.alice, body=f"File {number}", files=[_upload(payload)])
    attachment = comment.attachments.get()
    event = cast.ticket.events.filter(kind=TicketEventKind.ATTACHMENT).latest("id")  # its new value is the file name
    # The stored name has no directory part (see display_filename): of "<script>alert(1)</script>", "script>".
    return Written(attachment.filename, cast.ticket, comment=comment, attachment=attachment, event=event)


def write_tag_around_the_checks(payload: str, number: int, cast: Cast) -> Written:
    # Every front door refuses such a tag (test_xss_tags.py); stored anyway, by a bug or a data import, it must
    # still render inert.
    tag = Tag.objects.create(name=payload)
    cast.ticket.tags.add(tag)
    return Written(payload, cast.ticket, tag=tag)


def write_form_answers(payload: str, number: int, cast: Cast) -> Written:
    # The payload is both a typed answer and a choice label an admin wrote; the label goes on one line, as choices
    # are one per line (the comparison ignores whitespace).
    form = Form.objects.create(
        name=f"Form {number}", slug=f"form-{number}", category=cast.category, is_public=True, subject_template="Asked"
    )
    Field.objects.create(form=form, key="answer", label="Answer", position=1, type=FieldType.TEXTAREA)
    label = " ".join(payload.split())
    Field.objects.create(form=form, key="kind", label="Kind", position=2, type=FieldType.SELECT, choices=f"x | {label}")
    form_publish(form=form, actor=cast.carol)
    answers = {"answer": payload, "kind": "x"}
    submission, token = submission_create(form=form, answers=answers, requester=cast.alice, actor=cast.alice)
    return Written(payload, submission.ticket, token=token)


def _upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4", content_type="application/pdf")


FIELDS: dict[str, Callable[[str, int, Cast], Written]] = {
    "ticket subject": write_subject,
    "ticket description": write_description,
    "public comment": write_public_comment,
    "internal note": write_internal_note,
    "requester display name": write_requester_name,
    "agent display name": write_agent_name,
    "attachment filename": write_attachment_filename,
    "tag stored around the checks": write_tag_around_the_checks,
    "form answers": write_form_answers,
}


# --- pages: who looks, and at which address ---------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    viewer: Callable[[Written, Cast], User | None]
    url: Callable[[Written], str]
    admin: bool = False


def _requester_page(url: Callable[[Written], str]) -> Page:
    return Page(lambda written, cast: written.ticket.requester, url)


def _staff_page(url: Callable[[Written], str]) -> Page:
    return Page(lambda written, cast: cast.bob, url)


def _admin_changelist(model: str) -> Page:
    return Page(lambda written, cast: cast.carol, lambda written: reverse(f"admin:{model}_changelist"), admin=True)


def _admin_change(model: str, record: Callable[[Written], object]) -> Page:
    def url(written: Written) -> str:
        return reverse(f"admin:{model}_change", args=[record(written).pk])

    return Page(lambda written, cast: cast.carol, url, admin=True)


PAGES: dict[str, Page] = {
    "requester ticket list": _requester_page(lambda w: reverse("ticket_list")),
    "requester ticket": _requester_page(lambda w: reverse("ticket_detail", args=[w.ticket.pk])),
    "staff queue": _staff_page(lambda w: reverse("staff_queue")),
    "staff ticket": _staff_page(lambda w: reverse("staff_ticket_detail", args=[w.ticket.pk])),
    "admin tickets": _admin_changelist("tickets_ticket"),
    "admin ticket": _admin_change("tickets_ticket", lambda w: w.ticket),
    "admin comments": _admin_changelist("tickets_comment"),
    "admin comment": _admin_change("tickets_comment", lambda w: w.comment),
    "admin attachments": _admin_changelist("tickets_attachment"),
    "admin attachment": _admin_change("tickets_attachment", lambda w: w.attachment),
    "admin events": _admin_changelist("tickets_ticketevent"),
    "admin event": _admin_change("tickets_ticketevent", lambda w: w.event),
    "admin users": _admin_changelist("accounts_user"),
    "admin user": _admin_change("accounts_user", lambda w: w.user),
    "admin tags": _admin_changelist("tickets_tag"),
    "admin tag": _admin_change("tickets_tag", lambda w: w.tag),
    "private link": Page(lambda written, cast: None, lambda w: reverse("form_private_ticket", args=[w.token])),
}


def _shown_on(field_name: str, *page_names: str) -> list[tuple[str, str]]:
    return [(field_name, page_name) for page_name in page_names]


# Every page each field is shown on.
SURFACES: list[tuple[str, str]] = [
    *_shown_on(
        "ticket subject",
        *("requester ticket list", "requester ticket", "staff queue", "staff ticket"),
        *("admin tickets", "admin ticket", "admin comments", "admin comment"),
        *("admin attachments", "admin attachment", "admin events", "admin event"),
    ),
    *_shown_on("ticket description", "requester ticket", "staff ticket", "admin ticket"),
    *_shown_on("public comment", "requester ticket", "staff ticket", "admin ticket", "admin comment"),
    *_shown_on("internal note", "staff ticket", "admin ticket", "admin comment"),
    *_shown_on(
        "requester display name",
        *("requester ticket list", "requester ticket", "staff queue", "staff ticket"),
        *("admin tickets", "admin ticket", "admin comments", "admin comment"),
        *("admin events", "admin event", "admin users", "admin user"),
    ),
    *_shown_on("agent display name", "requester ticket", "staff queue", "staff ticket", "admin tickets", "admin user"),
    *_shown_on(
        "attachment filename",
        *("requester ticket", "staff ticket", "admin ticket", "admin comment"),
        *("admin attachments", "admin attachment", "admin events", "admin event"),
    ),
    *_shown_on(
        "tag stored around the checks", "staff queue", "staff ticket", "admin ticket", "admin tags", "admin tag"
    ),
    *_shown_on("form answers", "requester ticket", "staff ticket", "private link"),
]


@pytest.fixture
def cast(alice: User, bob: User, carol: User, category: Category, ticket: Ticket) -> Cast:
    return Cast(alice=alice, bob=bob, carol=carol, category=category, ticket=ticket)


def render_for_each_payload(
    page: Page, written: list[Written], cast: Cast, client_for: Callable[[User | None], Client]
) -> list[tuple[str, list[str]]]:
    """Each distinct (viewer, address) rendered once, with the payloads that page should show."""
    shown_by_view: dict[tuple[User | None, str], list[str]] = defaultdict(list)
    for record in written:
        shown_by_view[(page.viewer(record, cast), page.url(record))].append(record.shown)
    pages = []
    for (viewer, url), shown in shown_by_view.items():
        response = client_for(viewer).get(url)
        assert response.status_code == 200, url
        pages.append((response.content.decode(), shown))
    return pages


@pytest.mark.parametrize(("field_name", "page_name"), SURFACES)
def test_hostile_text_is_shown_as_text_and_never_runs(client_for, cast, field_name, page_name):
    written = [FIELDS[field_name](payload, number, cast) for number, payload in enumerate(PAYLOADS)]
    page = PAGES[page_name]

    for html, shown in render_for_each_payload(page, written, cast, client_for):
        assert unexpected_active_content(html, admin=page.admin) == []
        assert [text for text in shown if not shows_as_text(html, text)] == [], f"{field_name} not on {page_name}"
