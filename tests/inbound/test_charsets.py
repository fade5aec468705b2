"""Mail in the charsets people really send, declared right, declared wrong, or not declared: read without
mojibake wherever the bytes are valid."""

from __future__ import annotations

import base64
from email.header import Header

import pytest

from inbound import charsets, parsing
from inbound.parsing import read_mail
from notifications.mail_ids import message_id
from tests.inbound.messages import raw_mail
from tickets.models import Ticket


def _plain(body: bytes, *, charset: str | None, subject: str = "Test", encoding: str = "8bit") -> bytes:
    content_type = f"text/plain; charset={charset}" if charset else "text/plain"
    if encoding == "base64":
        body = base64.encodebytes(body)
    head = (
        "From: sender@example.org\r\nTo: support@example.com\r\n"
        f"Subject: {subject}\r\nMessage-ID: <{abs(hash(body))}@example.org>\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n"
    )
    return head.encode("ascii") + body


CASES = [
    ("iso-8859-1", "Grüße aus Köln, ça va?", "latin-1"),
    ("windows-1252", "“Smart quotes” – and the € sign", "cp1252"),
    ("iso-8859-1", "Declared Latin-1, written by Windows: “quotes” €", "cp1252"),
    ("shift_jis", "プリンターが壊れています。至急対応をお願いします。", "shift_jis"),
    ("iso-2022-jp", "プリンターが壊れています。", "iso2022_jp"),
    ("koi8-r", "Принтер не работает, помогите пожалуйста.", "koi8_r"),
    (None, "UTF-8 without a declared charset: naïve café, 日本語, Ελληνικά", "utf-8"),
    ("us-ascii", "Declared ASCII, really UTF-8: Zürich", "utf-8"),
    ("x-unknown", "An unknown label, really UTF-8: Ελληνικά", "utf-8"),
    ("gb2312", "打印机坏了，请尽快处理。", "gb2312"),
]


@pytest.mark.parametrize(("declared", "text", "codec"), CASES)
def test_the_body_is_read_in_its_real_charset(declared, text, codec):
    assert read_mail(_plain(text.encode(codec), charset=declared)).text == text


def test_base64_bodies_are_decoded_before_the_charset():
    raw = _plain("Kopf hoch, Jürgen".encode("latin-1"), charset="iso-8859-1", encoding="base64")

    assert read_mail(raw).text == "Kopf hoch, Jürgen"


def test_encoded_word_subjects_in_several_charsets_are_decoded():
    subject = Header("プリンター", "iso-2022-jp")
    subject.append(" Принтер", "koi8-r")

    assert read_mail(_plain(b"x", charset="us-ascii", subject=subject.encode())).subject == "プリンター Принтер"


def test_a_subject_of_many_encoded_words_is_decoded_from_its_first_16_kb_only():
    word = "=?utf-8?q?caf=C3=A9?="
    subject = " ".join([word] * 40_000)  # 860 KB: the stdlib's decoding grows with the square of the words

    decoded = read_mail(_plain(b"x", charset="us-ascii", subject=subject)).subject

    assert decoded.startswith("cafécafé") and set(decoded) == set("café")
    assert len(decoded) == 4 * ((parsing._ENCODED_HEADER_MAX_CHARS + 1) // (len(word) + 1))


def test_references_without_encoded_words_are_read_whole_however_long():
    references = [f"<id{number}@example.org>" for number in range(40_000)]
    raw = _plain(b"x", charset="us-ascii").replace(
        b"\r\n\r\n", f"\r\nReferences: {' '.join(references)}\r\n\r\n".encode(), 1
    )

    assert read_mail(raw).references == [reference.strip("<>").join("<>") for reference in references]


def test_raw_8bit_utf8_headers_are_read_as_utf8():
    raw = "Subject: Grüße\r\nFrom: Jürgen <j@example.org>\r\n\r\nbody".encode()

    mail = read_mail(raw)

    assert (mail.subject, mail.from_name, mail.from_address) == ("Grüße", "Jürgen", "j@example.org")


def test_invalid_bytes_in_a_declared_charset_fall_back_to_detection_not_to_an_error():
    text = (
        "Здравствуйте! Принтер на третьем этаже не работает с понедельника. "
        "Мы перезагрузили его, но ошибка осталась. Помогите, пожалуйста, это срочно."
    )

    assert read_mail(_plain(text.encode("koi8_r"), charset="utf-8")).text == text


def test_nul_bytes_and_lone_surrogates_never_reach_the_database(ingest):
    raw = _plain(b"before\x00after \xed\xa0\x80", charset="utf-8", subject="nul")

    stored = ingest(raw)

    assert stored.status == "processed"
    assert "\x00" not in Ticket.objects.get().description


def test_a_shift_jis_mail_becomes_a_readable_ticket(ingest):
    text = "請求書が二重に届きました。"

    ingest(_plain(text.encode("shift_jis"), charset="Shift_JIS", subject="=?ISO-2022-JP?B?GyRCQEE1YT1xGyhC?="))

    ticket = Ticket.objects.get()
    assert (ticket.subject, ticket.description) == ("請求書", text)


def test_windows_quotes_in_an_iso_8859_1_subject_are_read_as_windows_1252(ingest):
    raw = raw_mail(
        """
From: Dana <dana@example.org>
To: support@example.com
Subject: =?iso-8859-1?Q?I_can=92t_log_in?=
Message-ID: <cp1252-subject@mail.example.net>
"""
    )

    stored = ingest(raw)

    assert stored.ticket.subject == "I can\u2019t log in"


def test_a_subject_with_a_wrong_charset_label_is_not_shown_as_an_encoded_word(ingest):
    raw = raw_mail(
        """
From: Dana <dana@example.org>
To: support@example.com
Subject: =?utf-8?Q?Caf=E9_machine_broken?=
Message-ID: <bad-label-subject@mail.example.net>
"""
    )

    stored = ingest(raw)

    assert "=?" not in stored.ticket.subject and stored.ticket.subject.endswith("machine broken")


def test_a_raw_8_bit_latin_1_subject_is_not_read_as_chinese(ingest):
    # Older mailers put 8-bit Latin-1 straight into the Subject and declare the charset only on the body.
    raw = (
        b"From: Dana <dana@example.org>\r\nTo: support@example.com\r\n"
        b"Subject: Rechnung f\xfcr M\xe4rz\r\nMessage-ID: <raw-latin-1@mail.example.net>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        b"Die Rechnung f\xfcr M\xe4rz ist doppelt.\r\n"
    )

    stored = ingest(raw)

    assert stored.ticket.description == "Die Rechnung für März ist doppelt."
    assert stored.ticket.subject == "Rechnung für März"


@pytest.mark.parametrize("charset", ["us-ascii", None])
def test_a_short_latin_1_reply_with_no_useful_charset_label_is_not_read_as_chinese(ingest, ticket, alice, charset):
    content_type = f"text/plain; charset={charset}" if charset else "text/plain"
    raw = (
        f"From: {alice.email}\r\nTo: support@example.com\r\nSubject: Re: Invoice\r\n"
        f"In-Reply-To: {message_id(ticket_id=ticket.pk)}\r\nMessage-ID: <short-latin-1-{charset}@mail.example.net>\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: {content_type}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode() + "Merci, ça marche très bien.\r\n".encode("latin-1")

    stored = ingest(raw)

    assert stored.comment.body == "Merci, ça marche très bien."


# "café" in UTF-8 next to "naïve" in Latin-1: a reply quoting a mail from another client, pasted into one body.
MIXED = "Le café".encode() + b" est " + "naïve, “quoted”".encode("cp1252") + " — Grüße".encode()
MIXED_TEXT = "Le café est naïve, “quoted” — Grüße"


def test_a_utf_8_body_with_stray_latin_1_bytes_keeps_both_its_utf_8_and_its_latin_1_words():
    assert read_mail(_plain(MIXED, charset="utf-8")).text == MIXED_TEXT


def test_a_latin_1_body_holding_utf_8_sequences_is_not_read_as_mojibake():
    assert read_mail(_plain(MIXED, charset="iso-8859-1")).text == MIXED_TEXT


def test_a_latin_1_body_that_is_all_utf_8_is_read_as_utf_8():
    text = "Grüße aus Köln, ça va? Das Gerät zeigt „Fehler 42“."

    assert read_mail(_plain(text.encode(), charset="iso-8859-1")).text == text


def test_an_undeclared_body_mixing_utf_8_and_latin_1_keeps_both():
    assert read_mail(_plain(MIXED, charset=None)).text == MIXED_TEXT


@pytest.mark.parametrize("charset", [None, "iso-8859-1"])
def test_a_body_past_ftfys_share_mixing_charsets_on_every_line_is_read_without_it(charset, monkeypatch):
    """ftfy reads text that mixes charsets at about a third of a megabyte a second: a 25 MB body of it outlasted
    INBOUND_PROCESS_SECONDS on every attempt (and the full-mail page's request). Past a megabyte the stdlib reads it,
    valid UTF-8 as UTF-8 and the stray bytes as Windows-1252, with the same text."""
    line = "Le café".encode() + b" est " + "naïve".encode("latin-1") + " — Grüße\n".encode()
    body = line * (charsets._FTFY_MAX_BYTES // len(line) + 10)

    def too_slow_for_this_size(*args: object, **kwargs: object) -> str:
        raise AssertionError("ftfy read a body past its share")

    monkeypatch.setattr(charsets.ftfy, "fix_text", too_slow_for_this_size)
    text = read_mail(_plain(body, charset=charset)).text

    assert text.startswith("Le café est naïve — Grüße\nLe café est naïve")
    assert text.count("naïve") == body.count(b"na\xefve")


def _raw_subject_mail(subject: bytes, body: bytes, charset: str) -> bytes:
    return (
        b"From: Dana <dana@example.org>\r\nTo: support@example.com\r\nSubject: " + subject + b"\r\n"
        b"Message-ID: <raw-subject@mail.example.net>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset="
        + charset.encode()
        + b"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + body
        + b"\r\n"
    )


@pytest.mark.parametrize(
    ("charset", "body"),
    [("iso-8859-1", "Der Drucker ist kaputt, schöne Grüße."), ("koi8-r", "Принтер не работает.")],
)
def test_a_raw_utf_8_subject_is_read_as_utf_8_whatever_charset_the_body_declares(ingest, charset, body):
    raw = _raw_subject_mail("Grüße: Drucker defekt".encode(), body.encode(charset), charset)

    stored = ingest(raw)

    assert (stored.ticket.subject, stored.ticket.description) == ("Grüße: Drucker defekt", body)


def test_a_raw_latin_1_subject_in_a_mail_with_a_utf_8_body_is_read_as_latin_1(ingest):
    raw = _raw_subject_mail(
        "Rechnung für März".encode("latin-1"), "Die Rechnung ist doppelt, 日本語.".encode(), "utf-8"
    )

    stored = ingest(raw)

    assert stored.ticket.subject == "Rechnung für März"
