"""Every write that changes a ticket. Pages, the API and the admin all come through here, so all are audited.

Where does a ticket change status? `ticket_change_status` below, checked against `tickets.workflow`.
"""

from __future__ import annotations

import mimetypes
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_unicode_slug
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from helpdesk.errors import (
    FileTooLarge,
    InvalidTransition,
    InvalidValue,
    NotPermitted,
    PreconditionFailed,
    TicketClosed,
)
from tickets import permissions
from tickets.etags import ticket_etag
from tickets.markdown import render_markdown
from tickets.models import (
    Attachment,
    Category,
    Comment,
    Priority,
    Status,
    Tag,
    Team,
    Ticket,
    TicketEvent,
    TicketEventKind,
)
from tickets.notifications import (
    notify_assignee,
    notify_requester_of_reply,
    notify_requester_of_status,
    schedule_notification,
)
from tickets.workflow import REOPENED_BY_REQUESTER_REPLY, is_allowed_transition

# Changes to these fields are staff-only events: requesters see status changes and the public conversation.
PUBLIC_EVENT_KINDS = frozenset({TicketEventKind.CREATED, TicketEventKind.STATUS})

# Types a browser would execute or render as a page. They are kept, but only ever served as opaque downloads.
ACTIVE_CONTENT_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "text/javascript",
        "application/javascript",
        "application/x-javascript",
        "text/xml",
        "application/xml",
        "application/x-shockwave-flash",
    }
)
OPAQUE_CONTENT_TYPE = "application/octet-stream"

UNSET: object = object()


@dataclass(frozen=True)
class TicketChanges:
    """What a triage edit asks for. Fields left UNSET are not touched."""

    status: str | object = UNSET
    priority: int | object = UNSET
    assignee: User | object | None = UNSET
    team: Team | object | None = UNSET
    category: Category | object | None = UNSET
    tags: Sequence[str] | object = UNSET


def _describe(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, User):
        return value.display_name
    return str(value)


def _record_event(
    *,
    ticket: Ticket,
    actor: User | None,
    kind: str,
    field: str = "",
    old: object = None,
    new: object = None,
    internal: bool | None = None,
) -> TicketEvent:
    if internal is None:
        internal = kind not in PUBLIC_EVENT_KINDS
    return TicketEvent.objects.create(
        ticket=ticket,
        actor=actor,
        kind=kind,
        field=field,
        old_value=_describe(old),
        new_value=_describe(new),
        internal=internal,
    )


def _locked(ticket: Ticket) -> Ticket:
    """Re-read the ticket under a row lock so concurrent edits are applied one after the other."""
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def normalize_tag_names(names: Iterable[str]) -> list[str]:
    cleaned = []
    for name in names:
        tag = name.strip().lower().replace(" ", "-")
        if not tag:
            continue
        if len(tag) > 50 or not _is_slug(tag):
            raise InvalidValue(
                "Invalid tag.",
                details={"tags": [f"“{name}” is not a valid tag: use letters, digits, - and _."]},
            )
        if tag not in cleaned:
            cleaned.append(tag)
    return cleaned


def _is_slug(value: str) -> bool:
    try:
        validate_unicode_slug(value)
    except ValidationError:
        return False
    return True


def _validate_assignee(assignee: User | None) -> None:
    if assignee is not None and not assignee.is_agent_or_admin:
        raise InvalidValue("Invalid assignee.", details={"assignee": ["Tickets can only be assigned to agents."]})


@transaction.atomic
def ticket_create(
    *,
    requester: User,
    subject: str,
    description: str = "",
    category: Category | None = None,
    priority: int = Priority.NORMAL,
    actor: User | None = None,
    team: Team | None = None,
    assignee: User | None = None,
    tags: Sequence[str] = (),
    files: Sequence[UploadedFile] = (),
    intake_priority: int | None = None,
) -> Ticket:
    """Open a ticket for `requester`. `actor` is who did it (an agent opening one on someone's behalf).

    `intake_priority` is set only by an admin-defined intake form (forms_builder): its default priority is the
    admin's choice, not the requester's, so it is not a staff-only field like `priority`."""
    actor = actor or requester
    staff_fields = {"priority": priority != Priority.NORMAL, "team": team, "assignee": assignee, "tags": tags}
    if not permissions.can_triage_ticket(actor):
        if any(staff_fields.values()):
            raise NotPermitted("Only staff may set these fields.", details=_staff_only(staff_fields))
        if requester.pk != actor.pk:
            raise NotPermitted("You can only open tickets for yourself.", details=_staff_only({"requester": 1}))
    if category is not None and not category.is_active and not permissions.is_staff_member(actor):
        raise InvalidValue("Invalid category.", details={"category": ["This category is not available."]})
    _validate_assignee(assignee)
    _validate_files(files)
    subject = subject.strip()
    if not subject:
        raise InvalidValue("Subject is required.", details={"subject": ["This field may not be blank."]})

    ticket = Ticket.objects.create(
        requester=requester,
        subject=subject,
        description=description,
        description_html=render_markdown(description),
        category=category,
        team=team if team is not None else (category.default_team if category else None),
        priority=intake_priority if intake_priority is not None else priority,
        assignee=assignee,
    )
    if tags:
        ticket.tags.set(_tags_from_names(normalize_tag_names(tags)))
    _record_event(ticket=ticket, actor=actor, kind=TicketEventKind.CREATED, new=ticket.subject)
    _attachments_save(ticket=ticket, comment=None, actor=actor, files=files)
    return ticket


def _staff_only(fields: dict[str, object]) -> dict[str, list[str]]:
    return {name: ["Only agents and admins may set this field."] for name, given in fields.items() if given}


def _tags_from_names(names: Sequence[str]) -> list[Tag]:
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=name) for name in names if name not in existing]
    # ignore_conflicts: another request may create the same tag at the same moment.
    Tag.objects.bulk_create(missing, ignore_conflicts=True)
    return list(Tag.objects.filter(name__in=names))


@transaction.atomic
def ticket_change_status(*, ticket: Ticket, actor: User | None, status: str, system: bool = False) -> Ticket:
    """Move a ticket along the workflow. `system` marks the automatic reopen by a requester's reply."""
    if not system and not permissions.can_triage_ticket(actor):
        raise NotPermitted("Only agents and admins may change the status.", details=_staff_only({"status": 1}))
    if status not in Status.values:
        raise InvalidValue("Invalid status.", details={"status": [f"“{status}” is not a valid status."]})
    ticket = _locked(ticket)
    old = ticket.status
    if old == status:
        return ticket
    if not is_allowed_transition(old, status):
        raise InvalidTransition(
            f"A ticket cannot move from {old} to {status}.",
            details={"status": [f"Allowed from {old}: {', '.join(_allowed_from(old)) or 'nothing'}."]},
        )
    if old == Status.CLOSED and not system and not permissions.can_reopen_closed_ticket(actor):
        raise InvalidTransition("Only agents may reopen a closed ticket.", details={"status": ["Not allowed."]})
    now = timezone.now()
    ticket.status = status
    ticket.updated_at = now
    if status == Status.RESOLVED:
        ticket.resolved_at = now
    elif status == Status.CLOSED:
        ticket.closed_at = now
    elif status == Status.OPEN:
        ticket.resolved_at = None
        ticket.closed_at = None
    ticket.save(update_fields=["status", "updated_at", "resolved_at", "closed_at"])
    _record_event(ticket=ticket, actor=actor, kind=TicketEventKind.STATUS, field="status", old=old, new=status)
    if status == Status.RESOLVED:
        schedule_notification(notify_requester_of_status, ticket_id=ticket.pk)
    return ticket


def _allowed_from(status: str) -> list[str]:
    return [s for s in Status.values if is_allowed_transition(status, s)]


@transaction.atomic
def ticket_update(
    *, ticket: Ticket, actor: User, changes: TicketChanges, expected_etags: Collection[str] | None = None
) -> Ticket:
    """Apply a triage edit: each changed field is saved and recorded as its own audit event.

    `expected_etags` (a client's If-Match) makes the edit conditional: it applies only if the ticket's current
    ETag is one of them. The check runs under the row lock, so of two edits made from the same read only one wins.
    """
    requested = {name: value for name, value in vars(changes).items() if value is not UNSET}
    if requested and not permissions.can_triage_ticket(actor):
        raise NotPermitted("Only agents and admins may change these fields.", details=_staff_only(requested))
    ticket = _locked(ticket)
    if expected_etags is not None:
        _ensure_unchanged(ticket, expected_etags)
    if "status" in requested:
        # Returns the row it re-read under the lock we already hold, with the new status.
        ticket = ticket_change_status(ticket=ticket, actor=actor, status=requested.pop("status"))
    if "assignee" in requested:
        _validate_assignee(requested["assignee"])
    if "priority" in requested and requested["priority"] not in Priority.values:
        raise InvalidValue("Invalid priority.", details={"priority": ["Not a valid priority."]})

    changed_fields = []
    for field in ("priority", "assignee", "team", "category"):
        if field not in requested:
            continue
        old, new = getattr(ticket, field), requested[field]
        if old == new:
            continue
        setattr(ticket, field, new)
        changed_fields.append(field)
        if field == "priority":
            old, new = Priority(old).label, Priority(new).label
        _record_event(ticket=ticket, actor=actor, kind=field, field=field, old=old, new=new)
        if field == "assignee" and new is not None and new.pk != actor.pk:
            schedule_notification(notify_assignee, ticket_id=ticket.pk, assignee_id=new.pk)
    if changed_fields:
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=[*changed_fields, "updated_at"])
    if "tags" in requested:
        _ticket_set_tags(ticket=ticket, actor=actor, names=requested["tags"])
    return ticket


@transaction.atomic
def ticket_lock_unchanged(*, ticket: Ticket, expected_etags: Collection[str]) -> Ticket:
    """Lock the ticket for the rest of the caller's transaction, refusing if it changed since the client read it.

    For an edit made of several service calls (the admin saves text and triage fields in one go).
    """
    locked = _locked(ticket)
    _ensure_unchanged(locked, expected_etags)
    return locked


def _ensure_unchanged(ticket: Ticket, expected_etags: Collection[str]) -> None:
    if ticket_etag(ticket) not in expected_etags:
        raise PreconditionFailed(
            "The ticket has changed since you read it. Fetch it again and retry.",
            details={"If-Match": ["Does not match the ticket's current ETag."]},
        )


@transaction.atomic
def ticket_edit_content(*, ticket: Ticket, actor: User, subject: str, description: str) -> Ticket:
    """Correct a ticket's subject or description (staff only; not an audited triage field)."""
    if not permissions.can_triage_ticket(actor):
        raise NotPermitted("Only agents and admins may edit a ticket's text.")
    subject = subject.strip()
    if not subject:
        raise InvalidValue("Subject is required.", details={"subject": ["This field may not be blank."]})
    ticket = _locked(ticket)
    ticket.subject = subject
    ticket.description = description
    ticket.description_html = render_markdown(description)
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["subject", "description", "description_html", "updated_at"])
    return ticket


def _ticket_set_tags(*, ticket: Ticket, actor: User, names: Sequence[str]) -> None:
    new_names = normalize_tag_names(names)
    old_names = sorted(ticket.tags.values_list("name", flat=True))
    if sorted(new_names) == old_names:
        return
    ticket.tags.set(_tags_from_names(new_names))
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now())
    _record_event(
        ticket=ticket,
        actor=actor,
        kind=TicketEventKind.TAGS,
        field="tags",
        old=", ".join(old_names),
        new=", ".join(sorted(new_names)),
    )


@transaction.atomic
def comment_create(
    *, ticket: Ticket, author: User, body: str, internal: bool = False, files: Sequence[UploadedFile] = ()
) -> Comment:
    """Add a public reply or an internal note, with its attachments, and apply the reply rules."""
    if internal and not permissions.can_write_internal_note(author):
        raise NotPermitted("Only agents and admins may write internal notes.", details=_staff_only({"internal": 1}))
    if not body.strip():
        raise InvalidValue("The message is empty.", details={"body": ["This field may not be blank."]})
    _validate_files(files)
    ticket = _locked(ticket)
    is_staff_author = permissions.is_staff_member(author)
    if ticket.status == Status.CLOSED and not is_staff_author:
        raise TicketClosed("This ticket is closed. Please open a new ticket.", details={"body": ["Ticket closed."]})

    # Staff answering someone else in public: that is a response, and the requester is told of it.
    answers_requester = is_staff_author and not internal and author.pk != ticket.requester_id
    comment = _comment_save(ticket=ticket, author=author, body=body, internal=internal)
    if answers_requester:
        schedule_notification(notify_requester_of_reply, comment_id=comment.pk)
    _attachments_save(ticket=ticket, comment=comment, actor=author, files=files)

    now = comment.created_at
    update_fields = ["updated_at"]
    ticket.updated_at = now
    if answers_requester and ticket.first_response_at is None:
        ticket.first_response_at = now
        update_fields.append("first_response_at")
    ticket.save(update_fields=update_fields)
    if not is_staff_author and ticket.status in REOPENED_BY_REQUESTER_REPLY:
        ticket_change_status(ticket=ticket, actor=author, status=Status.OPEN, system=True)
    return comment


def _comment_save(*, ticket: Ticket, author: User, body: str, internal: bool) -> Comment:
    comment = Comment.objects.create(
        ticket=ticket, author=author, body=body, body_html=render_markdown(body), internal=internal
    )
    _record_event(
        ticket=ticket,
        actor=author,
        kind=TicketEventKind.COMMENT,
        field="internal" if internal else "",
        new="Internal note" if internal else "Reply",
        internal=internal,
    )
    return comment


def _validate_files(files: Sequence[UploadedFile]) -> None:
    if len(files) > settings.ATTACHMENT_MAX_FILES:
        raise InvalidValue(
            "Too many files.",
            details={"files": [f"At most {settings.ATTACHMENT_MAX_FILES} files per message."]},
        )
    limit = settings.ATTACHMENT_MAX_BYTES
    for upload in files:
        if upload.size is not None and upload.size > limit:
            raise FileTooLarge(
                f"“{upload.name}” is larger than the limit of {limit // (1024 * 1024) or limit} "
                f"{'MB' if limit >= 1024 * 1024 else 'bytes'}.",
                details={"files": [f"“{upload.name}” is too large."]},
            )


def display_filename(name: str) -> str:
    """The uploader's name without any directory part or control characters; only ever shown, never a path."""
    base = PurePosixPath(name.replace("\\", "/")).name
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    return base[-255:] or "file"


def _safe_content_type(filename: str) -> str:
    """The type is guessed from the name, never taken from the uploader; active types become opaque."""
    guessed, _ = mimetypes.guess_type(filename, strict=False)
    if not guessed or guessed in ACTIVE_CONTENT_TYPES:
        return OPAQUE_CONTENT_TYPE
    return guessed


def _attachments_save(
    *, ticket: Ticket, comment: Comment | None, actor: User, files: Sequence[UploadedFile]
) -> list[Attachment]:
    """Store the files of a comment, or of the ticket itself when `comment` is None (its opening message)."""
    saved = []
    internal = bool(comment and comment.internal)
    for upload in files:
        filename = display_filename(upload.name or "")
        attachment = Attachment(
            ticket=ticket,
            comment=comment,
            filename=filename,
            size=upload.size or 0,
            content_type=_safe_content_type(filename),
        )
        attachment.file.save(filename, upload, save=False)
        attachment.save()
        saved.append(attachment)
        _record_event(
            ticket=ticket, actor=actor, kind=TicketEventKind.ATTACHMENT, field="file", new=filename, internal=internal
        )
    return saved
