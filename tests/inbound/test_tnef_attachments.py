"""Outlook's winmail.dat (application/ms-tnef): the files inside become the ticket's attachments, within the
attachment limits; one that holds none, or cannot be read, is kept as it came. A mail whose own body is empty takes
its text from the winmail.dat: its plain body, else its HTML body as text.

The samples are tnefparse's own test samples (LGPL-3.0, koodaamo/tnefparse tests/examples, commit 8b79230a), real
Outlook TNEF streams, exact bytes:
- winmail-two-files.dat (two-files.tnef): the files AUTHORS and README, no body;
- winmail-plain-body.dat (triples.tnef): the plain body "Sample description", and a compressed RTF one;
- winmail-html-body.dat (body.tnef): an HTML body only (the Bill of Rights);
- winmail-rtf-body.dat (rtf.tnef): a compressed RTF body only.
A winmail.dat holding files and an RTF body only is made of two of them (_files_and_rtf_body)."""

from __future__ import annotations

from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path

from tnefparse.tnef import TNEF, TNEFObject

from inbound.services.tickets import EMPTY_BODY
from notifications.mail_ids import message_id
from tests.inbound.messages import new_message_id
from tickets.models import Attachment

SAMPLES = Path(__file__).parent / "samples"
WINMAIL = (SAMPLES / "winmail-two-files.dat").read_bytes()
WINMAIL_PLAIN_BODY = (SAMPLES / "winmail-plain-body.dat").read_bytes()
WINMAIL_HTML_BODY = (SAMPLES / "winmail-html-body.dat").read_bytes()
WINMAIL_RTF_BODY = (SAMPLES / "winmail-rtf-body.dat").read_bytes()


def _outlook_mail(
    winmail: bytes, *, text: str = "See the attached files.", sender: str = "Dana <dana@example.org>", **headers: str
) -> bytes:
    """Outlook's "rich text" mail: a winmail.dat, and a text part unless `text` is empty."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = "support@example.com"
    message["Subject"] = "Files from Outlook"
    message["Message-ID"] = new_message_id()
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    if text:
        message.set_content(text)
    message.add_attachment(winmail, maintype="application", subtype="ms-tnef", filename="winmail.dat")
    return message.as_bytes()


def _files_and_rtf_body() -> bytes:
    """two-files.tnef with rtf.tnef's message properties (its compressed RTF body) before its files, where Outlook
    writes them: a winmail.dat holding files, and the message's text as RTF only."""
    properties = next(
        WINMAIL_RTF_BODY[start:end] for start, end, obj in _objects(WINMAIL_RTF_BODY) if obj.name == TNEF.ATTMAPIPROPS
    )
    first_file = next(start for start, _, obj in _objects(WINMAIL) if obj.level == TNEF.LVL_ATTACHMENT)
    return WINMAIL[:first_file] + properties + WINMAIL[first_file:]


def _objects(winmail: bytes) -> Iterator[tuple[int, int, TNEFObject]]:
    """Each attribute of a TNEF stream: where it starts and ends, and what tnefparse reads of it."""
    start = 6  # past the signature and the key
    while start < len(winmail):
        obj = TNEFObject(winmail[start:])
        yield start, start + obj.length, obj
        start += obj.length


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


def test_a_mail_with_no_text_of_its_own_opens_a_ticket_with_the_plain_body_of_its_winmail_dat(ingest):
    stored = ingest(_outlook_mail(WINMAIL_PLAIN_BODY, text=""))

    assert stored.ticket.description == "Sample description"


def test_a_mail_with_no_text_of_its_own_opens_a_ticket_with_the_html_body_of_its_winmail_dat_as_text(ingest):
    stored = ingest(_outlook_mail(WINMAIL_HTML_BODY, text=""))

    description = stored.ticket.description
    assert description.startswith("THE BILL OF RIGHTS\nAmendments 1-10 of the Constitution\n\nThe Conventions")
    assert "Amendment X\n\nThe powers not delegated" in description
    assert "<" not in description and "&nbsp;" not in description


def test_a_reply_with_no_text_of_its_own_is_the_body_of_its_winmail_dat(ingest, ticket, alice):
    raw = _outlook_mail(WINMAIL_PLAIN_BODY, text="", sender=alice.email, In_Reply_To=message_id(ticket_id=ticket.pk))

    stored = ingest(raw)

    assert stored.comment is not None and stored.comment.ticket == ticket
    assert stored.comment.body == "Sample description"


def test_the_mails_own_text_is_the_description_rather_than_its_winmail_dats(ingest):
    stored = ingest(_outlook_mail(WINMAIL_HTML_BODY, text="Please see below."))

    assert stored.ticket.description == "Please see below."


def test_a_winmail_dat_whose_only_body_is_compressed_rtf_puts_no_rtf_in_the_description(ingest, ticket, alice):
    """Reading compressed RTF needs a library the project does not have: the mail is as one with no text at all."""
    stored = ingest(
        _outlook_mail(WINMAIL_RTF_BODY, text="", sender=alice.email, In_Reply_To=message_id(ticket_id=ticket.pk))
    )

    assert stored.status == "processed" and stored.comment.body == EMPTY_BODY


def test_a_winmail_dat_whose_text_is_only_rtf_is_kept_next_to_the_files_taken_out_of_it(ingest):
    """Its text is not read (inbound.tnef): the winmail.dat is the only copy of it on the ticket."""
    winmail = _files_and_rtf_body()

    stored = ingest(_outlook_mail(winmail, text=""))

    files = _stored_files(stored)
    assert [name for name, _ in files] == ["AUTHORS", "README", "winmail.dat"]
    assert files[-1][1] == winmail
