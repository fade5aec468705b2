"""Mail in the charsets people really send, declared right, declared wrong, or not declared: read without
mojibake wherever the bytes are valid."""

from __future__ import annotations

import base64
from email.header import Header

import pytest

from inbound.parsing import read_mail
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
