"""Files written to storage by a transaction that may still be rolled back.

Storage is not transactional. A service writes an attachment's file before the transaction that records its row
commits, and that transaction can still roll back after the write: a refusal further on (a status the workflow
forbids, a macro's action, an idempotency claim lost), a time limit, a database error. Each write is noted here, and
when the request or task ends (`stored_files_swept`) a file whose row is not in the database is deleted, so a
refused or rolled-back post leaves nothing in storage. Outside a request or task (a shell) nothing is noted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError
from django.core.files.storage import Storage
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

# What a storage raises when it cannot take or give a file: the disk (full, unwritable) or S3 (not answering, or
# answering with an error). Not the caller's fault, so never a 500: the doors answer 503 (helpdesk.errors).
STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)


@dataclass(frozen=True)
class WrittenFile:
    storage: Storage
    name: str
    is_recorded: Callable[[], bool]  # whether the row that names the file is in the database


_written: ContextVar[list[WrittenFile] | None] = ContextVar("stored_files_written", default=None)


def stored_file_written(*, storage: Storage, name: str, is_recorded: Callable[[], bool]) -> None:
    """Note a file just written, to be deleted at the end of the request or task unless `is_recorded()` then."""
    written = _written.get()
    if written is not None:
        written.append(WrittenFile(storage=storage, name=name, is_recorded=is_recorded))


@contextmanager
def stored_files_swept() -> Iterator[None]:
    """Around a request or a task: afterwards, delete the files it wrote whose rows were rolled back. Inside another
    (a task run in the request that queued it), the files kept are looked at again when the outer one ends, since
    the transaction they were checked in may still roll back."""
    outer = _written.get()
    written: list[WrittenFile] = []
    token = _written.set(written)
    try:
        yield
    finally:
        _written.reset(token)
        kept = _delete_unrecorded(written)
        if outer is not None:
            outer.extend(kept)


def _delete_unrecorded(written: list[WrittenFile]) -> list[WrittenFile]:
    kept = []
    for file in written:
        try:
            recorded = file.is_recorded()
        except DatabaseError:
            # Whether the row committed cannot be told: a stray file is better than a recorded one lost.
            logger.warning("could not tell whether stored file %s is still recorded; kept", file.name, exc_info=True)
            recorded = True
        if recorded:
            kept.append(file)
        else:
            _delete(file)
    return kept


def _delete(file: WrittenFile) -> None:
    try:
        file.storage.delete(file.name)
    except Exception:  # any storage's failure (a disk, S3): the answer already given must not turn into a 500
        logger.exception("could not delete stored file %s of a rolled-back write", file.name)


class StoredFilesSweepMiddleware:
    """Every request (pages, the API, the admin) is one unit of `stored_files_swept`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with stored_files_swept():
            return self.get_response(request)
