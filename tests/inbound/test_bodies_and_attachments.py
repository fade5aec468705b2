"""HTML-only mail, inline images, attachments within the existing limits, client-specific replies, forwards,
malformed MIME and the size limit."""

from __future__ import annotations

from email import policy
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage, Message

import pytest
from django.urls import reverse

from inbound.models import InboundStatus, Reason
from inbound.parsing import MIME_HEADER_MAX_CHARS, MIME_HEADER_MAX_PARAMETERS, ParsedMail, parse_headers, read_mail
from inbound.services import inbound_reprocess
from notifications.mail_ids import message_id
from tests.inbound.messages import mail, new_message_id, raw_mail
from tickets.models import BODY_MAX_CHARS, Attachment, Ticket

PIXEL_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00"
    b"\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
HTML = (
    "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
    '<p>The <b>printer</b> is <a href="https://status.example.org/">down</a>.</p>'
    '<img src="https://tracker.example.net/pixel.gif?u=1" width="1" height="1">'
    '<p><img src="cid:logo@example.org" alt="logo"></p><ul><li>floor 3</li><li>floor 4</li></ul>'
    '<form action="https://evil.example"><input name="x"></form><p onclick="steal()">Thanks</p></body></html>'
)


def _html_only_with_inline_image() -> bytes:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = "Dana <dana@example.org>"
    message["To"] = "support@example.com"
    message["Subject"] = "HTML only"
    message["Message-ID"] = new_message_id()
    message.set_content(HTML, subtype="html")
    message.add_related(PIXEL_PNG, "image", "png", cid="<logo@example.org>", filename="logo.png")
    return message.as_bytes()


def test_html_only_mail_becomes_text_with_its_inline_image_as_an_attachment(ingest):
    ingest(_html_only_with_inline_image())

    ticket = Ticket.objects.get()
    assert ticket.description == (
        "The printer is down <https://status.example.org/>.\n\n- floor 3\n- floor 4\n\nThanks"
    )
    assert list(ticket.attachments.values_list("filename", "content_type")) == [("logo.png", "image/png")]


def test_the_full_mail_page_shows_sanitised_html_and_never_a_remote_image(ingest, bob, client_for):
    stored = ingest(_html_only_with_inline_image())

    page = client_for(bob).get(reverse("inbound_message_original", args=[stored.pk])).content.decode()

    assert "<b>printer</b>" in page
    for forbidden in ("tracker.example.net", "<script>", "alert(1)", "<img", "evil.example", "onclick", "color:red"):
        assert forbidden not in page


def _html_only(html: str) -> bytes:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = "dana@example.org"
    message["To"] = "support@example.com"
    message["Subject"] = "Deep"
    message.set_content(html, subtype="html")
    return message.as_bytes()


def test_html_with_more_tags_than_read_whole_is_sanitised_a_piece_at_a_time_and_keeps_its_words(monkeypatch):
    # nh3's time grows with the square of how deeply elements nest: a piece of a few tags bounds how deep it reads.
    monkeypatch.setattr("inbound.html._WHOLE_START_TAGS_MAX", 20)
    monkeypatch.setattr("inbound.html._PIECE_START_TAGS", 4)
    html = "<p>Before</p>" + "<div>" * 300 + "Deep inside" + "</div>" * 300 + "<p>After</p><script>alert(1)</script>"

    mail = read_mail(_html_only(html))

    assert "<div>" * 4 in mail.html
    assert "<div>" * 5 not in mail.html
    assert mail.text == "Before\n\nDeep inside\n\nAfter"
    assert "script" not in mail.html


def test_html_with_as_many_tags_as_read_whole_is_sanitised_whole(monkeypatch):
    monkeypatch.setattr("inbound.html._WHOLE_START_TAGS_MAX", 20)
    monkeypatch.setattr("inbound.html._PIECE_START_TAGS", 4)

    mail = read_mail(_html_only("<div>" * 20 + "Deep inside" + "</div>" * 20))

    assert "<div>" * 20 + "Deep inside" + "</div>" * 20 in mail.html


def test_the_staff_ticket_page_links_the_full_mail_of_the_opening_message_and_of_a_reply(ingest, bob, client_for):
    first = ingest(mail(sender="dana@example.org", message_id="<m1@example.org>"))
    reply = ingest(mail(sender="dana@example.org", in_reply_to="<m1@example.org>", body="More"))

    page = client_for(bob).get(reverse("staff_ticket_detail", args=[first.ticket.pk])).content.decode()

    assert reverse("inbound_message_original", args=[first.pk]) in page
    assert reverse("inbound_message_original", args=[reply.pk]) in page


def _text_mail(subject: str, text: str) -> EmailMessage:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = "dana@example.org"
    message["To"] = "support@example.com"
    message["Subject"] = subject
    message["Message-ID"] = new_message_id()
    message.set_content(text)
    return message


def test_attachments_follow_the_existing_limits_and_the_rest_is_named(ingest, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    settings.ATTACHMENT_MAX_FILES = 2
    message = _text_mail("Files", "See attached.")
    message.add_attachment(b"%PDF-1.4 small", maintype="application", subtype="pdf", filename="invoice.pdf")
    message.add_attachment(b"<html>x</html>", maintype="text", subtype="html", filename="page.html")
    message.add_attachment(b"a,b\n", maintype="text", subtype="csv", filename="third.csv")
    message.add_attachment(b"x" * (2 * 1024 * 1024), maintype="application", subtype="zip", filename="big.zip")

    stored = ingest(message.as_bytes())

    attachments = Attachment.objects.filter(ticket=stored.ticket)
    assert list(attachments.values_list("filename", "content_type")) == [
        ("invoice.pdf", "application/pdf"),
        ("page.html", "application/octet-stream"),  # active content is only ever served as a download
    ]
    assert "“third.csv”: more than 2 files." in stored.ticket.description
    assert "“big.zip” (2.0 MB) is larger than the attachment limit of 1.0 MB." in stored.ticket.description


def test_an_empty_attachment_is_left_out_and_named_and_the_mail_kept(ingest):
    message = _text_mail("Files", "See attached.")
    message.add_attachment(b"%PDF-1.4 small", maintype="application", subtype="pdf", filename="invoice.pdf")
    message.add_attachment(b"", maintype="text", subtype="plain", filename="empty.txt")
    raw = message.as_bytes()

    stored = ingest(raw)

    assert (stored.status, bytes(stored.raw)) == (InboundStatus.PROCESSED, raw)
    assert list(Attachment.objects.filter(ticket=stored.ticket).values_list("filename", "size")) == [
        ("invoice.pdf", len(b"%PDF-1.4 small"))
    ]
    assert "Not attached (the original message keeps them):\n- “empty.txt” is empty." in stored.ticket.description


def test_a_20_mb_attachment_is_quarantined_whole_then_reprocessed_within_the_attachment_limit(
    ingest, settings, carol, django_capture_on_commit_callbacks
):
    """20 MB encoded in base64 is a 27 MB mail: past the default 25 MB limit it is kept and quarantined; an admin
    who raises the limit reprocesses it, and the file itself stays out of the ticket (10 MB attachment limit)."""
    message = _text_mail("Crash dump", "The dump is attached.")
    message.add_attachment(b"\x00\x01" * (10 * 1024 * 1024), maintype="application", subtype="octet-stream",
                           filename="core.dump")  # fmt: skip
    raw = message.as_bytes()
    assert len(raw) > 20 * 1024 * 1024

    stored = ingest(raw)
    assert (stored.status, stored.reason, bytes(stored.raw)) == (InboundStatus.QUARANTINED, Reason.TOO_LARGE, raw)

    settings.INBOUND_MAX_BYTES = 40 * 1024 * 1024
    with django_capture_on_commit_callbacks(execute=True):
        inbound_reprocess(message=stored, actor=carol)

    stored.refresh_from_db()
    assert stored.status == InboundStatus.PROCESSED
    assert "“core.dump” (20.0 MB) is larger than the attachment limit of 10.0 MB." in stored.ticket.description


def test_a_mail_over_the_size_limit_is_quarantined_and_kept(ingest, settings):
    settings.INBOUND_MAX_BYTES = 1000
    raw = mail(sender="dana@example.org", body="x" * 2000)

    stored = ingest(raw)

    assert (stored.status, stored.reason) == (InboundStatus.QUARANTINED, Reason.TOO_LARGE)
    assert bytes(stored.raw) == raw and not Ticket.objects.exists()


GMAIL_REPLY = """\
Thanks, that fixed it!

On Tue, Dec 1, 2026 at 10:00 AM Helpdesk <support@example.com> wrote:

> Please restart the printer.
>
"""
OUTLOOK_REPLY = """\
Still broken after the restart.

________________________________
From: Helpdesk <support@example.com>
Sent: Tuesday, December 1, 2026 10:00 AM
To: Alice <alice@example.com>
Subject: [#1] Invoice is wrong

Please restart the printer.
"""
APPLE_REPLY = """\
Done, thank you.

Sent from my iPhone

> On 1 Dec 2026, at 10:00, Helpdesk <support@example.com> wrote:
>
> Please restart the printer.
"""


def test_gmail_outlook_and_apple_mail_replies_keep_only_the_new_text(ingest, ticket, alice):
    expected = {GMAIL_REPLY: "Thanks, that fixed it!", OUTLOOK_REPLY: "Still broken after the restart.",
                APPLE_REPLY: "Done, thank you."}  # fmt: skip
    for body, visible in expected.items():
        stored = ingest(mail(sender=alice.email, subject="Re", body=body, in_reply_to=message_id(ticket_id=ticket.pk)))
        assert stored.comment.body == visible


def test_a_forwarded_mail_keeps_the_forwarded_text_when_it_opens_a_ticket(ingest):
    body = (
        "Can you look at this?\n\n---------- Forwarded message ---------\nFrom: Vendor <v@vendor.example>\n"
        "Date: Mon, 30 Nov 2026\nSubject: Contract\n\nThe contract renews on 1 January.\n"
    )

    ingest(mail(sender="dana@example.org", subject="Fwd: Contract", body=body))

    assert "The contract renews on 1 January." in Ticket.objects.get().description


MALFORMED = b"""\
From: dana@example.org\r
To: support@example.com\r
Subject: broken\r
Message-ID: <malformed@example.org>\r
MIME-Version: 1.0\r
Content-Type: multipart/mixed; boundary="never-closed"\r
\r
--never-closed\r
Content-Type: text/plain; charset=utf-8\r
Content-Transfer-Encoding: base64\r
\r
VGhpcyBpcyBub3QgY2xvc2Vk!!!==\r
--never-closed\r
Content-Type: application/pdf; name=\r
Content-Transfer-Encoding: quoted-printable\r
\r
=XX=\r
"""


def test_a_malformed_mime_tree_still_makes_a_ticket(ingest):
    stored = ingest(MALFORMED)

    assert stored.status == InboundStatus.PROCESSED
    assert stored.ticket.subject == "broken"


OUTLOOK_EXPRESS_UNQUOTED_BOUNDARY = b"""\
From: Dana <dana@example.org>\r
To: support@example.com\r
Subject: Printer\r
Message-ID: <oe-unquoted@example.org>\r
MIME-Version: 1.0\r
Content-Type: multipart/alternative; boundary=----=_NextPart_000_0093_01C81419.EB75E850\r
X-Mailer: Microsoft Outlook Express 6.00.2900.3138\r
\r
This is a multi-part message in MIME format.\r
\r
------=_NextPart_000_0093_01C81419.EB75E850\r
Content-Type: text/plain; charset=iso-8859-1\r
Content-Transfer-Encoding: quoted-printable\r
\r
The printer on floor 3 is jammed =96 again.\r
\r
------=_NextPart_000_0093_01C81419.EB75E850\r
Content-Type: text/html; charset=iso-8859-1\r
Content-Transfer-Encoding: quoted-printable\r
\r
<p>The printer on floor 3 is jammed =96 again.</p>\r
\r
------=_NextPart_000_0093_01C81419.EB75E850--\r
"""


@pytest.mark.parametrize(
    "mime_header",
    [
        "Content-Type: text/plain; charset=utf-8 {nested}",
        "Content-Disposition: inline {nested}",
        "Content-Transfer-Encoding: 7bit {nested}",
    ],
)
def test_a_mime_header_of_deeply_nested_comments_is_stored_and_still_gives_the_mail_its_text(ingest, mime_header):
    """The stdlib's structured header parser recurses into comments: a deep enough nesting raises RecursionError,
    which must neither stop the door that stores the mail nor fail it in the worker."""
    header = mime_header.format(nested="(" * 5000 + "x" + ")" * 5000)
    stored = ingest(raw_mail(f"From: dana@example.org\nTo: support@example.com\nSubject: Hi\n{header}", "Hello."))

    assert stored.status == InboundStatus.PROCESSED, stored.detail
    assert (stored.from_address, stored.ticket.description) == ("dana@example.org", "Hello.")


def test_a_part_header_of_deeply_nested_comments_still_gives_the_mail_its_text(ingest):
    nested = "(" * 5000 + "x" + ")" * 5000
    stored = ingest(
        raw_mail(
            "From: dana@example.org\nTo: support@example.com\nSubject: Hi\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=zz",
            f"--zz\nContent-Type: text/plain; charset=utf-8 {nested}\n\nHello.\n--zz--",
        )
    )

    assert stored.status == InboundStatus.PROCESSED, stored.detail
    assert stored.ticket.description == "Hello."


COMMENTS_IN_A_CONTENT_TYPE = {
    "a short comment": "(plain text)",
    "nested a few levels": "(" * 5 + "x" + ")" * 5,
    "nested past the parser's stack": "(" * 5000 + "x" + ")" * 5000,
}


@pytest.mark.parametrize("comment", COMMENTS_IN_A_CONTENT_TYPE.values(), ids=COMMENTS_IN_A_CONTENT_TYPE)
def test_a_content_type_with_a_comment_after_its_type_still_gives_the_mail_its_text(ingest, comment):
    """`text/plain (comment)` with no parameter after it: the stdlib's get_content_type takes everything before a
    ";" as the type, so the comment stayed in it and the text became an attachment of type `text/plain (...)`."""
    raw = raw_mail(f"From: dana@example.org\nTo: support@example.com\nSubject: Hi\nContent-Type: text/plain {comment}")

    stored = ingest(raw)

    assert stored.status == InboundStatus.PROCESSED, stored.detail
    assert (stored.ticket.description, stored.ticket.attachments.count()) == ("Hello.", 0)
    assert bytes(stored.raw) == raw


@pytest.mark.parametrize("comment", COMMENTS_IN_A_CONTENT_TYPE.values(), ids=COMMENTS_IN_A_CONTENT_TYPE)
def test_a_part_content_type_with_a_comment_after_its_type_still_gives_the_mail_its_text(ingest, comment):
    stored = ingest(
        raw_mail(
            "From: dana@example.org\nTo: support@example.com\nSubject: Hi\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=zz",
            f"--zz\nContent-Type: text/plain {comment}\n\nHello.\n"
            "--zz\nContent-Type: application/pdf (a file)\nContent-Disposition: attachment; filename=a.pdf\n"
            "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--zz--",
        )
    )

    assert stored.status == InboundStatus.PROCESSED, stored.detail
    assert stored.ticket.description == "Hello."
    assert [(file.filename, file.content_type) for file in stored.ticket.attachments.all()] == [
        ("a.pdf", "application/pdf")
    ]


def _read_with_frames_below(frames: int, raw: bytes) -> ParsedMail:
    return read_mail(raw) if frames == 0 else _read_with_frames_below(frames - 1, raw)


@pytest.mark.parametrize("mime_header", ["Content-Disposition: inline", "Content-Transfer-Encoding: 7bit"])
def test_a_part_header_nested_near_the_parsers_limit_reads_the_same_from_the_worker_as_from_a_page(mime_header):
    """Whether the stdlib's parser runs out of stack on a nesting depends on how deep the stack already is: the
    worker and the staff page read the mail from different depths, and a nesting that was readable where the mail
    was parsed must not raise a little deeper (a failed mail, a 500 on the page)."""
    for depth in range(100, 300):
        nested = "(" * depth + "x" + ")" * depth
        raw = raw_mail(
            "From: dana@example.org\nTo: support@example.com\nSubject: Hi\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=zz",
            f"--zz\nContent-Type: text/plain\n{mime_header} {nested}\n\nHello.\n"
            "--zz\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=a.pdf\n"
            "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--zz--",
        )
        for frames in range(4):
            mail = _read_with_frames_below(frames, raw)

            assert (mail.text, [file.filename for file in mail.attachments]) == ("Hello.", ["a.pdf"]), depth


# A hostile mail's MIME header: thousands of parameters after the ones a mail client reads (250 KB).
JUNK_PARAMETERS = "; ".join(f'p{number}="v{number}"' for number in range(16_000))
JUNK_NAMES = [f"p{number}" for number in range(16_000)]


def _parameter_names(part: Message, header: str) -> list[str]:
    return [name for name, _ in part.get_params(header=header)[1:]]


def _mail_with_a_text_and_a_file(*, top: str = "", text: str = "", file: str = "") -> bytes:
    return raw_mail(
        "From: dana@example.org\nTo: support@example.com\nSubject: Hi\nMIME-Version: 1.0\n"
        f"Content-Type: multipart/mixed; boundary=zz{top}",
        f"--zz\nContent-Type: text/plain; charset=utf-8{text}\n\nHello.\n"
        f"--zz\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=a.pdf{file}\n"
        "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--zz--",
    )


MANY_PARAMETERS = {
    "the mail's Content-Type": (dict(top=f"; {JUNK_PARAMETERS}"), 0, "content-type", "boundary"),
    "a part's Content-Type": (dict(text=f"; {JUNK_PARAMETERS}"), 1, "content-type", "charset"),
    "a part's Content-Disposition": (dict(file=f"; {JUNK_PARAMETERS}"), 2, "content-disposition", "filename"),
}


@pytest.mark.parametrize(("junk", "part_number", "header", "first"), MANY_PARAMETERS.values(), ids=MANY_PARAMETERS)
def test_a_mime_header_of_thousands_of_parameters_is_read_from_its_first_ones(ingest, junk, part_number, header, first):
    """policy.default parses a structured header again on every look-up, in time growing faster than its length:
    16,000 parameters held the worker 14 s, 64,000 (1 MB) for minutes, where the time limit cannot stop it. Real mail
    has a handful; the boundary, charset and file name among the first are read as before."""
    raw = _mail_with_a_text_and_a_file(**junk)

    stored = ingest(raw)
    part = list(read_mail(raw).message.walk())[part_number]

    assert stored.status == InboundStatus.PROCESSED, stored.detail
    assert stored.ticket.description == "Hello."
    assert [(file.filename, file.content_type) for file in stored.ticket.attachments.all()] == [
        ("a.pdf", "application/pdf")
    ]
    assert _parameter_names(part, header) == [first, *JUNK_NAMES[: MIME_HEADER_MAX_PARAMETERS - 1]]


def test_the_door_reads_a_content_type_of_thousands_of_parameters_from_its_first_ones():
    """The door that stores a mail parses its headers too (the parser looks up the type): it must never hang."""
    raw = raw_mail(
        f"From: dana@example.org\nTo: support@example.com\nSubject: Hi\nContent-Type: text/plain; {JUNK_PARAMETERS}"
    )

    headers = parse_headers(raw)

    assert headers["Subject"] == "Hi"
    assert _parameter_names(headers, "content-type") == JUNK_NAMES[:MIME_HEADER_MAX_PARAMETERS]


def test_a_file_name_in_thousands_of_rfc_2231_segments_is_read_from_its_first_ones():
    segments = "; ".join(f"filename*{number}*=a%41" for number in range(1, 10_000))
    raw = _mail_with_a_text_and_a_file(file=f"; filename*0*=utf-8''a%41; {segments}").replace(b"filename=a.pdf; ", b"")

    mail = read_mail(raw)

    assert (mail.text, [file.filename for file in mail.attachments]) == ("Hello.", ["aA" * MIME_HEADER_MAX_PARAMETERS])


def test_a_mime_header_longer_than_the_limit_is_read_from_its_start():
    """policy.default's parsing of a value of many words or comments grows with the square of its length (400 KB:
    14 s), parameters or none."""
    comments = " (x)" * 100_000
    raw = raw_mail(
        "From: dana@example.org\nTo: support@example.com\nSubject: Hi\nMIME-Version: 1.0\n"
        f"Content-Type: text/plain; charset=koi8-r{comments}\nContent-Transfer-Encoding: 8bit{comments}",
    ).replace(b"Hello.", "Привет.".encode("koi8-r"))

    mail = read_mail(raw)

    assert mail.text == "Привет."
    kept = [len(value) for name, value in mail.message.raw_items() if name.startswith("Content-")]
    assert kept == [MIME_HEADER_MAX_CHARS, MIME_HEADER_MAX_CHARS]


def test_an_unquoted_outlook_express_boundary_still_gives_the_mail_its_text(ingest):
    # boundary=----=_NextPart_... is not quoted although it holds "=": mail clients read it whole.
    ingest(OUTLOOK_EXPRESS_UNQUOTED_BOUNDARY)

    ticket = Ticket.objects.get()
    assert ticket.description == "The printer on floor 3 is jammed – again."
    assert not ticket.attachments.exists()


LONG_TEXT = "".join(f"Line {number} of the log.\n" for number in range(8000))  # some 180,000 characters
CUT_NOTE = (
    "(The rest of this message was cut: it was longer than 65,536 characters. The original message is kept in "
    "full: staff can read it with “full mail”.)"
)


def test_a_mail_longer_than_the_limit_opens_a_ticket_with_its_start_and_a_note_and_keeps_the_original(ingest):
    stored = ingest(mail(sender="dana@example.org", subject="Log", body=LONG_TEXT))

    description = Ticket.objects.get().description
    assert len(description) <= BODY_MAX_CHARS
    assert description.startswith("Line 0 of the log.\nLine 1 of the log.")
    assert description.endswith(f"\n\n{CUT_NOTE}")
    assert read_mail(bytes(stored.raw)).text.strip() == LONG_TEXT.strip()


def test_a_reply_longer_than_the_limit_is_posted_cut_with_a_note(ingest, ticket, alice):
    stored = ingest(mail(sender=alice.email, subject="Re", body=LONG_TEXT, in_reply_to=message_id(ticket_id=ticket.pk)))

    assert stored.status == InboundStatus.PROCESSED
    assert len(stored.comment.body) <= BODY_MAX_CHARS
    assert stored.comment.body.startswith("Line 0 of the log.")
    assert stored.comment.body.endswith(f"\n\n{CUT_NOTE}")


def test_a_mail_cut_at_the_limit_still_names_the_attachments_it_left_out(ingest):
    message = _text_mail("Log", LONG_TEXT)
    message.add_attachment(b"", maintype="text", subtype="plain", filename="empty.txt")

    description = ingest(message.as_bytes()).ticket.description

    assert len(description) <= BODY_MAX_CHARS
    assert description.startswith("Line 0 of the log.")
    assert description.endswith(
        f"{CUT_NOTE}\n\nNot attached (the original message keeps them):\n- “empty.txt” is empty."
    )


def test_attachments_keep_the_names_their_senders_wrote_however_the_header_spells_them(ingest):
    # As in ../shared/email-corpus: mikel-mail attachment_with_unquoted_name.eml and
    # attachment_with_base64_encoded_name.eml, chatwoot cid_inline_images_without_disposition.eml (Outlook).
    parts = [
        ("Content-Type: text/plain; name=This is a test.txt\nContent-Disposition: attachment;\n\tfilename=This is a "
         "test.txt", "Tested."),
        ("Content-Type: application/pdf; name==?utf-8?B?VGhpcyBpcyBhIHRlc3QucGRm?=\nContent-Transfer-Encoding: "
         "base64\nContent-Disposition: attachment; filename==?utf-8?B?VGhpcyBpcyBhIHRlc3QucGRm?=", "JVBERi0xLjQ="),
        ('Content-Type: image/jpeg;\n\tfilename="image001.jpg"\nContent-Transfer-Encoding: base64\n'
         "Content-ID: <image001.jpg@test>", "/9j/4AAQ"),
    ]  # fmt: skip
    body = "--b\nContent-Type: text/plain\n\nSee the files.\n" + "".join(
        f"--b\n{headers}\n\n{content}\n" for headers, content in parts
    )
    raw = raw_mail(
        f"From: dana@example.org\nTo: support@example.com\nSubject: Files\nMessage-ID: {new_message_id()}\n"
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"',
        body + "--b--",
    )

    ingest(raw)

    ticket = Ticket.objects.get()
    assert ticket.description == "See the files."
    assert list(ticket.attachments.values_list("filename", flat=True)) == [
        "This is a test.txt",
        "This is a test.pdf",
        "image001.jpg",
    ]


def test_a_run_of_empty_lines_in_the_mail_is_one_empty_line_in_the_ticket(ingest):
    # Zoho pads its text part with hundreds of empty and zero-width lines (../shared/email-corpus: chatwoot
    # mail_with_html_part_no_html_content.eml): staff would scroll past a blank page to the rest of the mail.
    padded = "Greetings!\n\n\n\nThe VPN is down.\n\n\u200b\n" + " \n" * 300 + "Dana"

    ingest(mail(sender="dana@example.org", body=padded))

    assert Ticket.objects.get().description == "Greetings!\n\nThe VPN is down.\n\nDana"


def test_an_attachment_name_of_encoded_words_next_to_plain_text_gets_no_spaces_between_them(ingest):
    # Words side by side are one name: "café.pdf", not "café .pdf" (as policy.default and mail clients read it).
    parts = [
        'filename="=?utf-8?Q?caf=C3=A9?=.pdf"',
        'filename="Report =?utf-8?Q?caf=C3=A9?=.pdf"',
        'filename="=?iso-8859-1?Q?caf=E9?= =?koi8-r?B?8NLJ18XU?=.txt"',
    ]
    body = "--b\nContent-Type: text/plain\n\nSee the files.\n" + "".join(
        f"--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n"
        f"Content-Disposition: attachment; {disposition}\n\nZGF0YQ==\n"
        for disposition in parts
    )
    raw = raw_mail(
        f"From: dana@example.org\nTo: support@example.com\nSubject: Files\nMessage-ID: {new_message_id()}\n"
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"',
        body + "--b--",
    )

    ingest(raw)

    assert list(Ticket.objects.get().attachments.values_list("filename", flat=True)) == [
        "café.pdf",
        "Report café.pdf",
        "caféПривет.txt",
    ]


def _mail_of_many_parts(files: int, *, file_header: str = "", name: str = "f") -> bytes:
    """A mail's text, then `files` small files named `name` and their number, each with `file_header` in its
    Content-Type."""
    parts = "".join(
        f"--zz\nContent-Type: application/octet-stream{file_header}\n"
        f"Content-Disposition: attachment; filename={name}{number}.bin\n\nx\n"
        for number in range(1, files + 1)
    )
    return raw_mail(
        "From: dana@example.org\nTo: support@example.com\nSubject: Many parts\nMIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=zz",
        f"--zz\nContent-Type: text/plain\n\nThe words of the mail.\n{parts}--zz--",
    )


PARTS_NOTE = (
    "The mail's parts after its first {count}, text and files alike: it has more parts, longer part headers or "
    "deeper nesting than the helpdesk reads of one mail."
)


def test_a_mail_of_more_parts_than_read_opens_a_ticket_with_its_text_its_first_files_and_a_note(ingest, settings):
    """A mail of 40,000 parts took 14 s to read, one of 25 MB minutes (the time limit, three times over). Its first
    parts are read: the mail itself, its text and the first 18 files here."""
    settings.INBOUND_MIME_PARTS_MAX = 20

    stored = ingest(_mail_of_many_parts(60))

    assert stored.status == InboundStatus.PROCESSED, stored.detail
    assert list(stored.ticket.attachments.values_list("filename", flat=True)) == [f"f{n}.bin" for n in range(1, 11)]
    assert stored.ticket.description == "\n".join(
        [
            "The words of the mail.\n\nNot attached (the original message keeps them):",
            f"- {PARTS_NOTE.format(count=20)}",
            *(f"- “f{number}.bin”: more than 10 files." for number in range(11, 19)),
        ]
    )


def test_a_reply_of_more_parts_than_read_is_posted_with_a_note(ingest, ticket, alice, settings):
    settings.INBOUND_MIME_PARTS_MAX = 3
    raw = (
        _mail_of_many_parts(5)
        .replace(b"Subject: Many parts", f"Subject: Re\r\nIn-Reply-To: {message_id(ticket_id=ticket.pk)}".encode())
        .replace(b"dana@example.org", alice.email.encode())
    )

    stored = ingest(raw)

    assert stored.status == InboundStatus.PROCESSED, stored.detail
    assert stored.comment.body == (
        f"The words of the mail.\n\nNot attached (the original message keeps them):\n- {PARTS_NOTE.format(count=3)}"
    )
    assert list(stored.comment.attachments.values_list("filename", flat=True)) == ["f1.bin"]


def _counted_header_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the headers policy.default parses as structured ones, from now on."""
    parsed: list[str] = []
    parse = HeaderRegistry.__call__

    def counted(registry: HeaderRegistry, name: str, value: str) -> object:
        parsed.append(name)
        return parse(registry, name, value)

    monkeypatch.setattr(HeaderRegistry, "__call__", counted)
    return parsed


MANY_PARTS = {
    # Past the number of parts read.
    "small parts": (dict(), 1000, 2000),
    # Past the characters of MIME headers read in one mail: parts of a 4 KB Content-Type.
    "parts of long headers": (dict(file_header=f'; comment="{"a" * 4000}"'), 64, 128),
}


@pytest.mark.parametrize(("shape", "fewer", "more"), MANY_PARTS.values(), ids=MANY_PARTS)
def test_a_mail_of_more_parts_than_read_takes_no_more_work_for_more_of_them(monkeypatch, shape, fewer, more):
    """policy.default parses a part's structured headers at each look-up (about six a part): 300 parts of three
    1 KB headers of words took 23 s. The work stops with the parts read, however many follow."""
    parsed = _counted_header_parses(monkeypatch)
    first = read_mail(_mail_of_many_parts(fewer, **shape))
    work = len(parsed)
    parsed.clear()

    mail = read_mail(_mail_of_many_parts(more, **shape))

    assert len(parsed) == work
    assert mail.text == first.text == "The words of the mail."
    assert [file.filename for file in mail.attachments] == [file.filename for file in first.attachments]
    assert len(mail.attachments) < fewer


def test_the_list_of_files_left_out_ends_with_how_many_more_within_a_message(ingest):
    """A line for each file left out could take most of the message (65,536 characters), or all of it, leaving none
    for the mail's text. The list is kept to a quarter of a message, then says how many more there are."""
    stored = ingest(_mail_of_many_parts(400, name="long-name-" * 4))

    assert stored.status == InboundStatus.PROCESSED, stored.detail
    description = stored.ticket.description
    assert len(description) <= BODY_MAX_CHARS
    listed = description.count(": more than 10 files.")
    assert 0 < listed < 390
    assert description.endswith(f"\n- And {390 - listed} more.")


def test_a_mail_of_parts_nested_thousands_deep_opens_a_ticket_with_its_first_text_and_a_note(ingest):
    """The stdlib's parser recurses a level for each nested part: 2,000 levels ran out of stack (RecursionError) and
    the mail was quarantined after three tries. It is read to a depth real mail never reaches."""
    nesting = "".join(f"--b{level}\nContent-Type: multipart/mixed; boundary=b{level + 1}\n\n" for level in range(2000))
    raw = raw_mail(
        "From: dana@example.org\nTo: support@example.com\nSubject: Deep\nMIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=top",
        f"--top\nContent-Type: text/plain\n\nThe words on top.\n--top\nContent-Type: multipart/mixed; boundary=b0\n\n"
        f"{nesting}--b2000\nContent-Type: text/plain\n\nDeep down.\n--top--",
    )

    stored = ingest(raw)

    assert stored.status == InboundStatus.PROCESSED, stored.detail
    assert stored.ticket.description.startswith("The words on top.\n\nNot attached (the original message keeps them):")
    assert "The mail's parts after its first" in stored.ticket.description
