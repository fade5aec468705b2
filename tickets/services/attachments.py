"""Files on a ticket: checked against the limits, stored under a random name, typed by their name; files whose row
never committed (a killed request or task) deleted once they are old enough."""

from __future__ import annotations

import logging
import mimetypes
import re
import unicodedata
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from accounts.models import User
from helpdesk.errors import FileTooLarge, InvalidValue, StorageUnavailable
from helpdesk.stored_files import STORAGE_ERRORS, stored_file_written
from tickets.models import Attachment, Comment, Ticket, TicketEventKind
from tickets.services.audit import record_event

logger = logging.getLogger(__name__)

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
STORAGE_REFUSED = "The files could not be stored just now, so nothing was sent. Please try again in a few minutes."


def validate_files(files: Sequence[UploadedFile]) -> None:
    refuse_empty_files(files)
    if len(files) > settings.ATTACHMENT_MAX_FILES:
        raise InvalidValue(
            "Too many files.",
            details={"files": [f"At most {settings.ATTACHMENT_MAX_FILES} files per message."]},
        )
    limit = settings.ATTACHMENT_MAX_BYTES
    for upload in files:
        if upload.size is not None and upload.size > limit:
            name = display_filename(upload.name or "")  # as the other messages and the ticket name it
            raise FileTooLarge(
                f"“{name}” is larger than the limit of {limit // (1024 * 1024) or limit} "
                f"{'MB' if limit >= 1024 * 1024 else 'bytes'}.",
                details={"files": [f"“{name}” is too large."]},
            )


def refuse_empty_files(files: Sequence[UploadedFile]) -> None:
    """A 0-byte file is refused at every door a person uploads through (the pages' fields check it with this too,
    before anything else is done): it is almost always a failed export or a file still being written, and the
    uploader can fix it. Mail cannot be sent back to fix, so inbound leaves such a part out instead (mail_files)."""
    empty = [empty_file_message(upload.name or "") for upload in files if upload.size == 0]
    if empty:
        raise InvalidValue(" ".join(empty), details={"files": empty})


def empty_file_message(name: str) -> str:
    return f"“{display_filename(name)}” is empty."


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
        _store(attachment, filename, upload)
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


def _store(attachment: Attachment, filename: str, upload: UploadedFile) -> None:
    """Write the file; a store that fails refuses the whole message (the caller's transaction rolls back, and the
    files already written for it are deleted when the request or task ends)."""
    try:
        attachment.file.save(filename, upload, save=False)
    except STORAGE_ERRORS as error:
        logger.warning("could not store an attachment: %s", error, exc_info=True)
        raise StorageUnavailable(STORAGE_REFUSED, details={"files": [STORAGE_REFUSED]}) from error


def _note_written(attachment: Attachment) -> None:
    """Noted before its row is saved, so a save that fails leaves no file either. Looked up by id, and by name too,
    as SQLite may give a rolled-back row's id to the next one."""
    name = attachment.file.name

    def is_recorded() -> bool:
        return attachment.pk is not None and Attachment.objects.filter(pk=attachment.pk, file=name).exists()

    stored_file_written(storage=attachment.file.storage, name=name, is_recorded=is_recorded)


# The names `attachment_upload_to` gives: the month's folder and a random hex name. Nothing else in the storage is
# the sweep's to judge (an operator's note, a backup, another app's files under the same prefix).
ATTACHMENT_NAME = re.compile(r"\d{4}/\d{2}/[0-9a-f]{32}")
NAMES_PER_QUERY = 500


def attachments_orphaned_delete(*, older_than: timedelta, months: int = 2) -> int:
    """Delete the attachment files no Attachment names, written more than `older_than` ago; return how many.

    A file is written before the transaction that records its row commits. A rollback is cleaned up when the request
    or task ends (helpdesk.stored_files), but a process killed in between (gunicorn's timeout, the OOM killer, a
    deploy) runs nothing: its file stays, named by no row. The storage is listed, not a ledger kept: a ledger row
    would have to commit on its own before the file is written, while the service already runs inside its caller's
    transaction, and a second connection cannot write beside it on SQLite. Only the folders of the last `months`
    months are listed (the name carries the month it was written in), so the work follows the recent uploads, not
    the whole history; beat runs it hourly, so two months see every file past its grace. Pass more months once to
    clear older strays (from before this sweep, or while beat was down).

    `older_than` is longer than any request or task may run, so a file whose row is still being written is never
    taken; whether a row names it is asked again just before the file goes.
    """
    storage = Attachment._meta.get_field("file").storage
    now = timezone.now()
    deleted = 0
    for folder in _month_folders(now=now, months=months):
        for names in _batches(_stored_attachment_names(storage, folder), NAMES_PER_QUERY):
            for name in _unrecorded(names):
                # The store's clock is asked only for the few names no row has; asked again just before deleting.
                if _written_before(storage, name, now - older_than) and _unrecorded([name]):
                    deleted += _delete_orphan(storage, name)
    return deleted


def _month_folders(*, now: datetime, months: int) -> list[str]:
    """This month's folder and the ones before it, as `attachment_upload_to` names them (in UTC, as it is)."""
    year, month = now.astimezone(UTC).year, now.astimezone(UTC).month
    folders = []
    for _ in range(months):
        folders.append(f"{year:04d}/{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return folders


def _stored_attachment_names(storage: Storage, folder: str) -> list[str]:
    try:
        _, files = storage.listdir(folder)
    except FileNotFoundError:  # no upload that month (a bucket just has no such keys)
        return []
    names = (f"{folder}/{file}" for file in files)
    return [name for name in names if ATTACHMENT_NAME.fullmatch(name)]


def _batches(names: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(names), size):
        yield list(names[start : start + size])


def _unrecorded(names: list[str]) -> list[str]:
    """The names no Attachment has (`file` is indexed for this)."""
    recorded = set(Attachment.objects.filter(file__in=names).values_list("file", flat=True))
    return [name for name in names if name not in recorded]


def _written_before(storage: Storage, name: str, moment: datetime) -> bool:
    try:
        return storage.get_modified_time(name) < moment
    except FileNotFoundError:  # deleted meanwhile (another sweep, an end-of-request one)
        return False
    except Exception:  # any storage's failure (a disk, S3): not knowing its age, the file stays until the next run
        logger.warning("could not read the time of stored file %s; kept", name, exc_info=True)
        return False


def _delete_orphan(storage: Storage, name: str) -> int:
    try:
        storage.delete(name)
    except Exception:  # one file the store refuses must not stop the sweep of the others
        logger.exception("could not delete orphaned stored file %s", name)
        return 0
    logger.info("deleted stored file %s: no attachment names it", name)
    return 1
