"""Outlook's winmail.dat (application/ms-tnef): the files inside become the ticket's attachments, within the
attachment limits; one that holds neither files nor text, or cannot be read, is kept as it came. A mail whose own
body is empty takes its text from the winmail.dat: its plain body, else its HTML body as text, else its RTF body as
text (read in a bounded child process: one that cannot be read in time keeps the winmail.dat).

The samples are tnefparse's own test samples (LGPL-3.0, koodaamo/tnefparse tests/examples, commit 8b79230a), real
Outlook TNEF streams, exact bytes:
- winmail-two-files.dat (two-files.tnef): the files AUTHORS and README, no body;
- winmail-plain-body.dat (triples.tnef): the plain body "Sample description", and a compressed RTF one;
- winmail-html-body.dat (body.tnef): an HTML body only (the Bill of Rights);
- winmail-rtf-body.dat (rtf.tnef): a compressed RTF body only.
A winmail.dat holding files and an RTF body only is made of two of them (_files_and_rtf_body), or of two-files.tnef
and an RTF body written here (_rtf_body_properties)."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path

from compressed_rtf import compress
from compressed_rtf.crc32 import crc32
from tnefparse.tnef import TNEF, TNEFObject

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


def _files_and_rtf_body(properties: bytes | None = None) -> bytes:
    """two-files.tnef with message properties holding an RTF body (rtf.tnef's unless given) before its files, where
    Outlook writes them: a winmail.dat holding files, and the message's text as RTF only."""
    if properties is None:
        properties = next(
            WINMAIL_RTF_BODY[start:end]
            for start, end, obj in _objects(WINMAIL_RTF_BODY)
            if obj.name == TNEF.ATTMAPIPROPS
        )
    first_file = next(start for start, _, obj in _objects(WINMAIL) if obj.level == TNEF.LVL_ATTACHMENT)
    return WINMAIL[:first_file] + properties + WINMAIL[first_file:]


def _rtf_body_properties(compressed_rtf: bytes) -> bytes:
    """The message's MAPI properties attribute holding one property, its RTF body (PR_RTF_COMPRESSED, 0x1009, binary
    0x0102): a count of values, the value's length, the bytes padded to 4. The attribute is its level, name, type
    (0x0006, bytes) and length, the data, and the sum of the data's bytes as its checksum."""
    padding = b"\x00" * (-len(compressed_rtf) % 4)
    data = struct.pack("<IHHII", 1, 0x0102, 0x1009, 1, len(compressed_rtf)) + compressed_rtf + padding
    header = struct.pack("<BHHI", TNEF.LVL_MESSAGE, TNEF.ATTMAPIPROPS, 0x0006, len(data))
    return header + data + struct.pack("<H", sum(data) % 65536)


def _lzfu_bomb(compressed_bytes: int) -> bytes:
    """Compressed RTF (LZFu) at its densest: each flag byte followed by eight references of 17 bytes each, eight
    times its size once decompressed. A reference to where the next byte is written ends the stream: none does."""
    body = bytearray()
    written = 207  # past LZFu's preset dictionary
    while len(body) < compressed_bytes:
        body.append(0xFF)
        for _ in range(8):
            body += struct.pack(">H", (written + 1) % 4096 << 4 | 0xF)
            written = (written + 17) % 4096
    header = struct.pack("<II", len(body) + 12, len(body) * 8) + b"LZFu" + struct.pack("<I", crc32(bytes(body)))
    return header + bytes(body)


def _stored_rtf(rtf: bytes) -> bytes:
    """RTF as Outlook may store it uncompressed ("MELA"), which a compressed RTF body may also be."""
    return compress(rtf, compressed=False)


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


def test_a_mail_with_no_text_of_its_own_opens_a_ticket_with_the_rtf_body_of_its_winmail_dat_as_text(ingest):
    stored = ingest(_outlook_mail(WINMAIL_RTF_BODY, text=""))

    description = stored.ticket.description
    assert "ahakg'akgq[arja'kmba'hgmpgkjaqpgbmdvb\nad\n\\hge" in description
    assert "-- Greg\nGreg Allen\nSenior Engineer/QADirector Team\nCompuware Corporation" in description
    assert "\\par" not in description and "rtf1" not in description and "Arial" not in description
    assert _stored_files(stored) == []  # the words are on the ticket: the winmail.dat is not needed


def test_a_reply_with_no_text_of_its_own_is_the_rtf_body_of_its_winmail_dat(ingest, ticket, alice):
    stored = ingest(
        _outlook_mail(WINMAIL_RTF_BODY, text="", sender=alice.email, In_Reply_To=message_id(ticket_id=ticket.pk))
    )

    assert stored.status == "processed" and stored.comment.body.startswith("aafgag'alga'kgk\n\nagka;kgag")


def test_a_winmail_dat_whose_text_is_only_rtf_gives_its_files_and_its_text(ingest):
    stored = ingest(_outlook_mail(_files_and_rtf_body(), text=""))

    assert [name for name, _ in _stored_files(stored)] == ["AUTHORS", "README"]
    assert "Greg Allen" in stored.ticket.description


def test_rtf_made_from_html_gives_the_words_without_the_markup(ingest):
    """Outlook's RTF for an HTML mail (\\fromhtml1) carries the HTML's tags in \\htmltag groups, which are left out,
    and the words both as HTML and as RTF reads them; the RTF's reading (\\par, \\line) gives the line breaks."""
    rtf = (
        rb"{\rtf1\ansi\ansicpg1252\fromhtml1 \deff0{\fonttbl{\f0\fswiss Arial;}}"
        rb"{\*\htmltag19 <html>}{\*\htmltag34 <head>}{\*\htmltag241 <style>}{\*\htmltag241 p \{margin:0\}}"
        rb"{\*\htmltag249 </style>}{\*\htmltag41 </head>}{\*\htmltag50 <body>}"
        rb"{\*\htmltag64 <p class=MsoNormal>}\htmlrtf {\htmlrtf0 Hi Dana,\htmlrtf\par}\htmlrtf0{\*\htmltag72 </p>}"
        rb"{\*\htmltag64 <p>}\htmlrtf {\htmlrtf0 The caf\'e9 {\*\htmltag84 &amp;}\htmlrtf &\htmlrtf0  bar "
        rb"\u8212? closed{\*\htmltag116 <br>}\htmlrtf \line\htmlrtf0 till June.\htmlrtf\par}\htmlrtf0"
        rb"{\*\htmltag72 </p>}{\*\htmltag58 </body>}{\*\htmltag27 </html>}}"
    )

    stored = ingest(_outlook_mail(_files_and_rtf_body(_rtf_body_properties(_stored_rtf(rtf))), text=""))

    assert stored.ticket.description == "Hi Dana,\nThe caf\u00e9 & bar \u2014 closed\ntill June."


def test_an_rtf_body_that_takes_too_long_to_read_keeps_the_winmail_dat(ingest, settings):
    """striprtf's link pattern backtracks over every "{\\field{\\*\\fldinst{HYPERLINK" it is given: 32 KB of them
    took 7.5 s, 128 KB minutes. The child reading it is stopped at INBOUND_RTF_SECONDS; the mail is processed."""
    settings.INBOUND_RTF_SECONDS = 0.5
    hostile = b"{\\rtf1 " + b'{\\field{\\*\\fldinst{HYPERLINK "' * 4000 + b"}"
    winmail = _files_and_rtf_body(_rtf_body_properties(_stored_rtf(hostile)))

    stored = ingest(_outlook_mail(winmail, text=""))

    assert stored.status == "processed" and stored.ticket.description == ""
    files = _stored_files(stored)
    assert [name for name, _ in files] == ["AUTHORS", "README", "winmail.dat"]
    assert files[-1][1] == winmail


def test_an_rtf_body_that_needs_more_memory_than_the_child_may_have_keeps_the_winmail_dat(ingest, monkeypatch):
    """The child's memory is limited (RLIMIT_AS): at the limit it fails with a MemoryError. Here the limit is below
    what the interpreter has already, so the decompressed RTF cannot have any."""
    monkeypatch.setattr("inbound.rtf.RTF_CHILD_MEMORY_BYTES", 1)
    winmail = _files_and_rtf_body(_rtf_body_properties(_lzfu_bomb(64 * 1024)))

    stored = ingest(_outlook_mail(winmail, text=""))

    assert stored.status == "processed" and stored.ticket.description == ""
    assert [name for name, _ in _stored_files(stored)] == ["AUTHORS", "README", "winmail.dat"]


def test_an_rtf_body_that_cannot_be_read_keeps_the_winmail_dat(ingest):
    winmail = _files_and_rtf_body(_rtf_body_properties(b"\xff" * 40))  # no compressed RTF: the child fails

    stored = ingest(_outlook_mail(winmail, text=""))

    assert stored.status == "processed" and stored.ticket.description == ""
    assert [name for name, _ in _stored_files(stored)] == ["AUTHORS", "README", "winmail.dat"]


def test_an_rtf_body_with_no_text_keeps_the_winmail_dat(ingest):
    winmail = _files_and_rtf_body(_rtf_body_properties(_stored_rtf(rb"{\rtf1\ansi{\fonttbl{\f0 Arial;}}\par}")))

    stored = ingest(_outlook_mail(winmail, text=""))

    assert [name for name, _ in _stored_files(stored)] == ["AUTHORS", "README", "winmail.dat"]
