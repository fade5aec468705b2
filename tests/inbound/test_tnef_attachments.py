"""Outlook's winmail.dat (application/ms-tnef): the files inside become the ticket's attachments, within the
attachment limits; one that holds none, or cannot be read, is kept as it came.

samples/winmail-two-files.dat is tnefparse's own test sample two-files.tnef (LGPL-3.0): a real Outlook TNEF stream
holding the files AUTHORS and README."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from pathlib import Path

from tests.inbound.messages import new_message_id
from tickets.models import Attachment

WINMAIL = (Path(__file__).parent / "samples" / "winmail-two-files.dat").read_bytes()


def _outlook_mail(winmail: bytes) -> bytes:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = "Dana <dana@example.org>"
    message["To"] = "support@example.com"
    message["Subject"] = "Files from Outlook"
    message["Message-ID"] = new_message_id()
    message.set_content("See the attached files.")
    message.add_attachment(winmail, maintype="application", subtype="ms-tnef", filename="winmail.dat")
    return message.as_bytes()


def _stored_files(stored) -> list[tuple[str, bytes]]:
    attachments = Attachment.objects.filter(ticket=stored.ticket).order_by("pk")
    return [(attachment.filename, attachment.file.read()) for attachment in attachments]


def test_the_files_inside_a_winmail_dat_become_the_tickets_attachments(ingest):
    stored = ingest(_outlook_mail(WINMAIL))

    files = _stored_files(stored)
    assert [name for name, _ in files] == ["AUTHORS", "README"]
    assert [len(data) for _, data in files] == [244, 893]
    assert b"Authors" in files[0][1] and b"TNEF" in files[1][1]


def test_the_files_inside_a_winmail_dat_follow_the_attachment_limits(ingest, settings):
    settings.ATTACHMENT_MAX_FILES = 1

    stored = ingest(_outlook_mail(WINMAIL))

    assert [name for name, _ in _stored_files(stored)] == ["AUTHORS"]
    assert "“README”: more than 1 files." in stored.ticket.description


def test_a_winmail_dat_that_cannot_be_read_is_kept_as_it_came(ingest):
    corrupt = b"\x78\x9f\x3e\x22\x01\x00" + b"\xff" * 40

    stored = ingest(_outlook_mail(corrupt))

    assert stored.status == "processed"
    assert _stored_files(stored) == [("winmail.dat", corrupt)]


def test_a_winmail_dat_that_is_not_tnef_at_all_is_kept_as_it_came(ingest):
    stored = ingest(_outlook_mail(b"not a TNEF stream"))

    assert _stored_files(stored) == [("winmail.dat", b"not a TNEF stream")]


def test_a_cut_off_winmail_dat_keeps_the_original_next_to_what_could_be_read(ingest):
    cut = WINMAIL[:3000]  # README is cut short: its checksum fails

    stored = ingest(_outlook_mail(cut))

    assert [name for name, _ in _stored_files(stored)] == ["AUTHORS", "README", "winmail.dat"]
    assert _stored_files(stored)[-1][1] == cut
