"""Serving attachments: one response builder for the page view and the API alike."""

from __future__ import annotations

from typing import IO

from botocore.exceptions import ClientError
from django.http import FileResponse, Http404
from storages.backends.s3 import S3File

from helpdesk.errors import StorageUnavailable
from helpdesk.stored_files import STORAGE_ERRORS
from tickets.models import Attachment

FILE_UNREACHABLE = "The file cannot be read from storage just now. Please try again in a few minutes."

INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def attachment_response(attachment: Attachment) -> FileResponse:
    """Plain raster images may show inline; everything else is a download. The browser never sniffs. Raises
    StorageUnavailable when the store cannot be read."""
    inline = attachment.content_type in INLINE_IMAGE_TYPES
    try:
        stored, size = stored_content(attachment)
    except FileNotFoundError:
        # Gone from the disk or the bucket (a restore without it, a lost volume): nothing to serve, not our crash.
        raise Http404("The file is no longer stored.") from None
    except STORAGE_ERRORS as error:  # the disk or the bucket not answering: the file is still there, try later
        raise StorageUnavailable(FILE_UNREACHABLE) from error
    response = FileResponse(
        stored,
        as_attachment=not inline,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    if size is not None:
        response["Content-Length"] = size
    return served_as_a_file(response)


def served_as_a_file(response: FileResponse) -> FileResponse:
    """A stored file (an attachment, a mail as it arrived): the browser never sniffs it, runs it or caches it."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def stored_content(attachment: Attachment) -> tuple[IO[bytes], int | None]:
    """The attachment's bytes as they are sent, and their length when the file alone does not tell it.

    A file on disk is read in blocks. An object in a bucket is read as the store's answer streams in: django-storages'
    S3File would first copy the whole object into memory (or a temporary file), before the first byte went out.
    Both storages say a missing file alike: FileNotFoundError (S3Storage turns the store's 404 into it on opening).
    """
    stored = attachment.file.open("rb")
    if not isinstance(stored.file, S3File):
        return stored, None
    remote = stored.file.obj  # the object's metadata, read when S3Storage opened it
    try:
        body = remote.get()["Body"]
    except ClientError as error:  # deleted between opening and reading
        if error.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
            raise FileNotFoundError(stored.name) from error
        raise
    return body, remote.content_length
