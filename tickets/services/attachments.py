"""Files on a ticket: checked against the limits, stored under a random name, typed by their name."""

from __future__ import annotations

import mimetypes
import unicodedata
from collections.abc import Sequence
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from accounts.models import User
from helpdesk.errors import FileTooLarge, InvalidValue
from helpdesk.stored_files import stored_file_written
from tickets.models import Attachment, Comment, Ticket, TicketEventKind
from tickets.services.audit import record_event

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


def validate_files(files: Sequence[UploadedFile]) -> None:
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


def attachments_save(
    *, ticket: Ticket, comment: Comment | None, actor: User, files: Sequence[UploadedFile]
) -> list[Attachment]:
    """Store the files of a comment, or of the ticket itself when `comment` is None (its opening message). A file
    whose row is rolled back afterwards is deleted when the request or task ends (helpdesk.stored_files)."""
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
        _note_written(attachment)
        attachment.save()
        saved.append(attachment)
        record_event(
            ticket=ticket,
            actor=actor,
            kind=TicketEventKind.ATTACHMENT,
            field="file",
            new=filename,
            internal=internal,
            payload={"attachment_id": attachment.pk, "comment_id": comment.pk if comment else None},
        )
    return saved


def _note_written(attachment: Attachment) -> None:
    """Noted before its row is saved, so a save that fails leaves no file either. Looked up by id (the file's name
    has no index), and by name too, as SQLite may give a rolled-back row's id to the next one."""
    name = attachment.file.name

    def is_recorded() -> bool:
        return attachment.pk is not None and Attachment.objects.filter(pk=attachment.pk, file=name).exists()

    stored_file_written(storage=attachment.file.storage, name=name, is_recorded=is_recorded)
