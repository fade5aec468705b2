"""Storing a mail reads its headers from its header section alone: the same headers the whole message gives, in
memory that does not grow with its attachments."""

from __future__ import annotations

import os
import tracemalloc
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from inbound.parsing import parse_headers

HEADER_SECTIONS = {
    "crlf": b"From: dana@example.org\r\nSubject: Hi\r\n\r\nbody\r\n\r\nmore\r\n",
    "lf": b"From: dana@example.org\nSubject: Hi\n\nbody\n\nmore\n",
    "cr": b"From: dana@example.org\rSubject: Hi\r\rbody\r\rmore\r",
    "cr then crlf": b"From: dana@example.org\rSubject: Hi\r\r\nbody\r\n",
    "lf then crlf": b"From: dana@example.org\nSubject: Hi\n\r\nbody\r\n",
    "crlf then lone cr": b"From: dana@example.org\r\nSubject: Hi\r\n\rbody\r\n",
    "folded": b"From: dana@example.org\r\nSubject: a long\r\n  folded subject\r\n\r\nSubject: not a header\r\n",
    "empty header section": b"\r\nFrom: not a header\r\n\r\nbody\r\n",
    "no body": b"From: dana@example.org\r\nSubject: Hi\r\n",
    "no empty line, a body line": b"From: dana@example.org\r\nSubject: Hi\r\nnot a header\r\nSubject: no\r\n",
    "8-bit": "From: Dörte <d@example.org>\r\nSubject: Grüße\r\n\r\nbody\r\n".encode(),
}


@pytest.mark.parametrize("raw", list(HEADER_SECTIONS.values()), ids=list(HEADER_SECTIONS))
def test_the_header_section_gives_the_headers_the_whole_message_gives(raw):
    whole = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
    alone = parse_headers(raw)
    assert list(alone.raw_items()) == list(whole.raw_items())
    assert [type(defect) for defect in alone.defects] == [type(defect) for defect in whole.defects]


ATTACHMENT_BYTES = 10 * 1024 * 1024


def test_reading_the_headers_of_a_mail_with_a_large_attachment_costs_no_copy_of_it():
    """Parsing the whole message for its headers split all of it into lines: 8 times the mail's size, on every
    mail stored (`inbound_store`, at every door). What the database driver then costs to write it is its own."""
    message = EmailMessage()
    message["From"] = "dana@example.org"
    message["Subject"] = "The logs"
    message["Message-ID"] = "<logs-1@example.org>"
    message.set_content("Attached.")
    message.add_attachment(os.urandom(ATTACHMENT_BYTES), maintype="application", subtype="gzip", filename="logs.gz")
    raw = message.as_bytes()

    tracemalloc.start()
    try:
        headers = parse_headers(raw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert (headers["Subject"], headers["Message-ID"]) == ("The logs", "<logs-1@example.org>")
    assert peak < len(raw) // 100
