"""A message that fails is quarantined with its reason and the others go on; lost work is swept up; a message that
keeps killing its worker is given up on, not retried for ever."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

from django.utils import timezone

from inbound import tasks
from inbound.models import InboundMessage, InboundStatus, Reason
from inbound.services import inbound_stale_ids, inbound_store
from tests.inbound.messages import mail, raw_mail
from tickets.models import Attachment, Ticket


def with_a_file(raw: bytes) -> bytes:
    message = message_from_bytes(raw, policy=policy.SMTP)
    message.add_attachment(b"stack trace", maintype="text", subtype="plain", filename="log.txt")
    return message.as_bytes()


def store_down(settings, tmp_path) -> Path:
    """Point the file store where no file can be written; returns where it was."""
    not_a_directory = tmp_path / "a-file"
    not_a_directory.write_bytes(b"")
    stored_in, settings.MEDIA_ROOT = settings.MEDIA_ROOT, not_a_directory / "attachments"
    return stored_in


def test_a_failing_message_is_quarantined_and_the_next_one_is_processed(ingest, monkeypatch):
    from inbound.services import process

    real_read_mail = process.read_mail

    def read_mail_failing_on_poison(raw: bytes):
        if b"POISON" in raw:
            raise RecursionError("maximum recursion depth exceeded")
        return real_read_mail(raw)

    monkeypatch.setattr(process, "read_mail", read_mail_failing_on_poison)

    poisoned = ingest(mail(sender="dana@example.org", subject="POISON"))
    healthy = ingest(mail(sender="erin@example.org", subject="Fine"))

    assert (poisoned.status, poisoned.reason) == (InboundStatus.QUARANTINED, Reason.FAILED)
    assert "RecursionError" in poisoned.detail and poisoned.ticket is None
    assert healthy.status == InboundStatus.PROCESSED and Ticket.objects.get().subject == "Fine"


def test_a_message_failing_after_its_attachments_were_stored_leaves_no_file(ingest, monkeypatch, stored_files):
    from inbound.services import process

    def opened_then_failing(*args: object, **kwargs: object) -> None:
        raise RuntimeError("failed after the ticket and its files were written")

    monkeypatch.setattr(process, "_opened", opened_then_failing)
    stored = ingest(with_a_file(mail(sender="dana@example.org")))

    assert (stored.status, stored.reason) == (InboundStatus.QUARANTINED, Reason.FAILED)
    assert not Attachment.objects.exists()
    assert stored_files() == []


def test_mail_whose_processing_lost_the_database_is_processed_again_not_quarantined(ingest, monkeypatch):
    from django.db import OperationalError

    from inbound.services import process

    real_read_mail = process.read_mail
    outage = iter([True])

    def read_mail_during_an_outage(raw: bytes):
        if next(outage, False):
            raise OperationalError("server closed the connection unexpectedly")
        return real_read_mail(raw)

    monkeypatch.setattr(process, "read_mail", read_mail_during_an_outage)

    stored = ingest(mail(sender="dana@example.org", subject="During the outage"))  # the task fails, and says so

    assert (stored.status, stored.attempts) == (InboundStatus.RECEIVED, 1)
    InboundMessage.objects.filter(pk=stored.pk).update(received_at=timezone.now() - timedelta(minutes=10))
    tasks.inbound_sweep()  # the sweep's next round, with the database back
    stored.refresh_from_db()
    assert stored.status == InboundStatus.PROCESSED and Ticket.objects.get().subject == "During the outage"


def test_mail_whose_attachments_the_file_store_refused_is_processed_again_not_quarantined(ingest, settings, tmp_path):
    stored_in = store_down(settings, tmp_path)

    stored = ingest(with_a_file(mail(sender="dana@example.org", subject="Store down")))  # the task fails, and says so

    assert (stored.status, stored.attempts) == (InboundStatus.RECEIVED, 0)  # the store's outage costs no attempt
    assert not Ticket.objects.exists()
    settings.MEDIA_ROOT = stored_in  # the store is back
    InboundMessage.objects.filter(pk=stored.pk).update(received_at=timezone.now() - timedelta(minutes=10))
    tasks.inbound_sweep()
    stored.refresh_from_db()
    assert stored.status == InboundStatus.PROCESSED
    assert Ticket.objects.get().attachments.get().filename == "log.txt"


def test_a_file_store_down_for_longer_than_the_attempts_last_does_not_quarantine_the_mail(ingest, settings, tmp_path):
    store_down(settings, tmp_path)
    stored = ingest(with_a_file(mail(sender="dana@example.org", subject="Store down")))
    InboundMessage.objects.filter(pk=stored.pk).update(received_at=timezone.now() - timedelta(minutes=10))

    for _ in range(settings.INBOUND_MAX_ATTEMPTS + 1):  # a sweep a minute, the store still down
        tasks.inbound_sweep()

    stored.refresh_from_db()
    assert (stored.status, stored.attempts) == (InboundStatus.RECEIVED, 0)


def test_the_sweep_processes_mail_whose_task_was_lost(db):
    stored = inbound_store(raw=mail(sender="dana@example.org"), source="pipe").message  # no after-commit here
    InboundMessage.objects.filter(pk=stored.pk).update(received_at=timezone.now() - timedelta(minutes=10))

    tasks.inbound_sweep()

    stored.refresh_from_db()
    assert stored.status == InboundStatus.PROCESSED and stored.attempts == 1


def test_mail_that_keeps_killing_its_worker_is_quarantined_by_the_sweep(db, settings):
    stored = inbound_store(raw=mail(sender="dana@example.org"), source="pipe").message
    old = timezone.now() - timedelta(minutes=10)
    InboundMessage.objects.filter(pk=stored.pk).update(received_at=old, attempts=settings.INBOUND_MAX_ATTEMPTS)

    assert inbound_stale_ids() == []

    stored.refresh_from_db()
    assert (stored.status, stored.reason) == (InboundStatus.QUARANTINED, Reason.FAILED)
    assert "gave up after 3 attempts" in stored.detail


def test_a_decided_message_is_not_processed_again(ingest):
    stored = ingest(mail(sender="dana@example.org"))

    tasks.inbound_process_message(stored.pk)

    assert Ticket.objects.count() == 1 and InboundMessage.objects.get().attempts == 1


def test_the_same_bytes_through_two_doors_are_stored_once(ingest):
    raw = mail(sender="dana@example.org")

    first = ingest(raw, source="smtp")
    second = ingest(raw, source="pipe")

    assert first.pk == second.pk and InboundMessage.objects.count() == 1


def test_the_same_source_id_is_stored_once_even_if_the_bytes_differ(ingest):
    first = ingest(mail(sender="dana@example.org", body="a"), source="imap", source_id="1:7:42")
    second = ingest(mail(sender="dana@example.org", body="b"), source="imap", source_id="1:7:42")

    assert first.pk == second.pk


def test_a_message_with_a_huge_non_ascii_message_id_is_stored_and_processed_twice_once(ingest):
    # "İ" lower-cases to two characters, and CJK takes three bytes each: neither may overflow the column or
    # PostgreSQL's index (2704 bytes), or no door can store the message and it is lost.
    for message_id in ("İ" * 990, "漢字" * 495):
        raw = raw_mail(f"From: dana@example.org\nTo: support@example.com\nMessage-ID: <{message_id}@example.org>")

        stored = ingest(raw)
        again = ingest(raw, source="smtp")

        assert (stored.status, again.pk) == (InboundStatus.PROCESSED, stored.pk)
        assert len(stored.message_id.encode()) <= 998 and len(stored.message_id_as_sent.encode()) <= 998
    assert Ticket.objects.count() == 2
