"""Files a killed request or task left in storage without their row are deleted by beat after a grace period."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction

from helpdesk.celery import app
from tickets.models import Attachment
from tickets.services import comment_create
from tickets.tasks import attachments_orphaned_delete

WRITTEN_AT = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


class KilledBeforeCommit(Exception):
    """Stands for the SIGKILL: the transaction never commits, and no end-of-request sweep runs."""


def upload(name: str = "log.txt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"stack trace", content_type="text/plain")


def file_left_by_a_killed_request(ticket, author, media_root: Path) -> Path:
    """The real service writes the file, then the process dies before its transaction commits. Outside
    `stored_files_swept` nothing notes the write, just as nothing runs after a SIGKILL."""
    before = set(media_root.rglob("*"))
    with pytest.raises(KilledBeforeCommit), transaction.atomic():
        comment_create(ticket=ticket, author=author, body="Here is the log", files=[upload()])
        raise KilledBeforeCommit
    (written,) = (path for path in set(media_root.rglob("*")) - before if path.is_file())
    return written


def written_at(path: Path, when: datetime) -> Path:
    """Time travel moves the app's clock, not the disk's: the file's time is set as it was written then."""
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


@pytest.fixture
def media_root(settings) -> Path:
    return Path(settings.MEDIA_ROOT)


def test_a_file_left_by_a_killed_request_is_deleted_after_the_grace_period(alice, ticket, media_root):
    with time_machine.travel(WRITTEN_AT, tick=False):
        orphan = written_at(file_left_by_a_killed_request(ticket, alice, media_root), WRITTEN_AT)
        comment_create(ticket=ticket, author=alice, body="This one went through", files=[upload("kept.txt")])
    recorded = written_at(media_root / Attachment.objects.get().file.name, WRITTEN_AT)
    assert orphan.exists()

    with time_machine.travel(WRITTEN_AT + timedelta(hours=2), tick=False):
        attachments_orphaned_delete()

    assert not orphan.exists()
    assert recorded.exists()
    assert Attachment.objects.get().file.read() == b"stack trace"


def test_an_orphan_younger_than_the_grace_period_is_kept(alice, ticket, media_root, settings):
    settings.ATTACHMENT_ORPHAN_GRACE_SECONDS = 3600
    with time_machine.travel(WRITTEN_AT, tick=False):
        orphan = written_at(file_left_by_a_killed_request(ticket, alice, media_root), WRITTEN_AT)

    with time_machine.travel(WRITTEN_AT + timedelta(minutes=59), tick=False):
        attachments_orphaned_delete()
    assert orphan.exists()

    with time_machine.travel(WRITTEN_AT + timedelta(minutes=61), tick=False):
        attachments_orphaned_delete()
    assert not orphan.exists()


def test_an_orphan_written_at_the_end_of_last_month_is_deleted_in_the_new_month(alice, ticket, media_root):
    end_of_february = datetime(2026, 2, 28, 23, 50, tzinfo=UTC)
    with time_machine.travel(end_of_february, tick=False):
        orphan = written_at(file_left_by_a_killed_request(ticket, alice, media_root), end_of_february)
    assert orphan.parent == media_root / "2026" / "02"

    with time_machine.travel(datetime(2026, 3, 1, 1, 0, tzinfo=UTC), tick=False):
        attachments_orphaned_delete()

    assert not orphan.exists()


def test_older_strays_go_with_the_command_that_reaches_further_back(alice, ticket, media_root):
    """Beat lists two months; a stray from before the sweep existed (or while beat was down) needs the command."""
    with time_machine.travel(WRITTEN_AT - timedelta(days=120), tick=False):
        orphan = written_at(file_left_by_a_killed_request(ticket, alice, media_root), WRITTEN_AT - timedelta(days=120))

    with time_machine.travel(WRITTEN_AT, tick=False):
        attachments_orphaned_delete()
        assert orphan.exists()
        call_command("delete_orphaned_files", "--months", "12", stdout=io.StringIO())

    assert not orphan.exists()


def test_files_not_named_like_attachments_are_never_deleted(db, media_root):
    """Whatever else sits in the storage (an operator's note, a backup) is not the sweep's to judge."""
    strays = [media_root / "2026" / "03" / "README.txt", media_root / "backup" / ("a" * 32), media_root / "notes"]
    for stray in strays:
        stray.parent.mkdir(parents=True, exist_ok=True)
        stray.write_bytes(b"not an attachment")
        written_at(stray, WRITTEN_AT)

    with time_machine.travel(WRITTEN_AT + timedelta(days=1), tick=False):
        attachments_orphaned_delete()

    assert all(stray.exists() for stray in strays)


def test_an_empty_storage_is_swept_without_error(db, media_root):
    assert not media_root.exists()
    with time_machine.travel(WRITTEN_AT, tick=False):
        assert attachments_orphaned_delete() == 0


def test_beat_runs_the_sweep_hourly(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE.values()
    (entry,) = (entry for entry in schedule if entry["task"] == "tickets.delete_orphaned_files")
    assert entry["schedule"] == 3600
    assert app.tasks["tickets.delete_orphaned_files"].run is attachments_orphaned_delete.run
