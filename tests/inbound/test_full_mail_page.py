"""The staff "full mail" page shows what the worker read of a mail, and never reads the mail itself: a hostile mail
costs seconds to read (a 25 MB one past the web server's timeout), which the worker spends under its time limits."""

from __future__ import annotations

from collections.abc import Callable
from email import policy
from email.message import EmailMessage

import pytest
from django.urls import reverse

from inbound import parsing, views
from inbound.models import InboundMessage, InboundReading, InboundStatus, Reason
from inbound.selectors import MAIL_HEAD_BYTES
from inbound.services import inbound_store
from tests.inbound.messages import mail, new_message_id

HTML = '<p>The <b>printer</b> is down.</p><script>alert("owned")</script><p onclick="steal()">Thanks</p>'
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def _mail_with_parts() -> bytes:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = "Dana <dana@example.org>"
    message["To"] = "support@example.com"
    message["Subject"] = "Printer down"
    message["Message-ID"] = new_message_id()
    message.set_content("The printer is down, plain and simple.")
    message.add_alternative(HTML, subtype="html")
    message.get_payload()[1].add_related(PNG, "image", "png", cid="<logo@example.org>", filename="logo.png")
    message.add_attachment(b"a,b\n1,2\n", maintype="text", subtype="csv", filename="counts.csv")
    return message.as_bytes()


@pytest.fixture
def readings_counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every reading of a mail's MIME tree (read_mail, wherever it is imported) goes through parse_message."""
    calls: list[int] = []
    parse_message = parsing.parse_message

    def counted(raw: bytes) -> object:
        calls.append(len(raw))
        return parse_message(raw)

    monkeypatch.setattr(parsing, "parse_message", counted)
    return calls


def _page(client: object, message: InboundMessage) -> str:
    response = client.get(reverse("inbound_message_original", args=[message.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_full_mail_page_shows_what_the_worker_read_without_reading_the_mail(
    ingest, bob, client_for, readings_counted
):
    stored = ingest(_mail_with_parts())
    readings_counted.clear()

    page = _page(client_for(bob), stored)

    assert readings_counted == []
    assert "The printer is down, plain and simple." in page
    assert "<b>printer</b>" in page
    for forbidden in ("<script>", "owned", "onclick"):
        assert forbidden not in page
    assert "counts.csv (text/csv, 8\xa0bytes)" in page
    assert "logo.png (image/png, 48\xa0bytes), inline" in page
    assert "<dd>Printer down</dd>" in page


def test_the_full_mail_page_reads_the_message_row_in_a_bounded_number_of_queries(
    ingest, bob, client_for, django_assert_max_num_queries
):
    stored = ingest(_mail_with_parts())
    client = client_for(bob)

    with django_assert_max_num_queries(8):
        _page(client, stored)


def test_the_stored_html_is_sanitised(ingest):
    stored = ingest(_mail_with_parts())

    reading = InboundReading.objects.get(message=stored)

    assert "<b>printer</b>" in reading.html
    assert "script" not in reading.html and "owned" not in reading.html and "onclick" not in reading.html
    assert reading.text == "The printer is down, plain and simple."
    assert reading.parts == [
        {"filename": "logo.png", "content_type": "image/png", "size": 48, "inline": True},
        {"filename": "counts.csv", "content_type": "text/csv", "size": 8, "inline": False},
    ]


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, Reason.AUTO_REPLY),
        ({"Precedence": "bulk"}, Reason.AUTO_REPLY),
    ],
)
def test_mail_ignored_after_it_was_read_can_be_read_by_staff(ingest, bob, client_for, headers, reason):
    stored = ingest(mail(sender="dana@example.org", body="I am out of the office.", headers=headers))

    assert (stored.status, stored.reason) == (InboundStatus.IGNORED, reason)
    assert "I am out of the office." in _page(client_for(bob), stored)


def test_a_duplicate_ignored_after_it_was_read_keeps_its_reading(ingest):
    message_id = new_message_id()
    ingest(mail(sender="dana@example.org", message_id=message_id, body="First copy"))
    second = ingest(mail(sender="dana@example.org", message_id=message_id, body="Second copy"))

    assert second.reason == Reason.DUPLICATE
    assert InboundReading.objects.get(message=second).text == "Second copy"


def test_mail_not_processed_yet_is_not_read_by_the_page(db, bob, client_for, readings_counted):
    stored = inbound_store(raw=mail(sender="dana@example.org", subject="Waiting", body="Not yet"), source="pipe")
    readings_counted.clear()

    page = _page(client_for(bob), stored.message)

    assert readings_counted == []
    assert "This mail has not been read yet" in page
    assert "<dd>Waiting</dd>" in page
    assert "Not yet" not in page
    assert "Received" in page


def test_mail_too_large_to_read_says_so_and_is_not_read_by_the_page(
    ingest, bob, client_for, settings, readings_counted
):
    settings.INBOUND_MAX_BYTES = 100
    stored = ingest(mail(sender="dana@example.org", subject="Huge", body="Every word"))
    readings_counted.clear()

    page = _page(client_for(bob), stored)

    assert readings_counted == []
    assert stored.reason == Reason.TOO_LARGE
    assert "This mail has not been read yet" in page
    assert "Larger than the size limit" in page
    assert f"{stored.size} bytes" in page
    assert "Every word" not in page
    assert reverse("inbound_message_read", args=[stored.pk]) not in page  # the limit is why it was not read


def test_the_page_reads_the_headers_of_a_mail_not_read_yet_from_its_first_bytes_only(db, bob, client_for, monkeypatch):
    raw = mail(sender="dana@example.org", subject="Long", headers={"X-Padding": "x " * 200_000})
    stored = inbound_store(raw=raw, source="pipe").message
    parsed: list[int] = []
    parse_headers = views.parse_headers

    def counted(head: bytes) -> object:
        parsed.append(len(head))
        return parse_headers(head)

    monkeypatch.setattr(views, "parse_headers", counted)

    page = _page(client_for(bob), stored)

    assert parsed == [MAIL_HEAD_BYTES] and len(raw) > MAIL_HEAD_BYTES
    assert "<dd>dana@example.org</dd>" in page  # From comes before the padding


def _read_before_this_change(message: InboundMessage) -> None:
    InboundReading.objects.filter(message=message).delete()


def test_staff_have_a_mail_read_that_was_stored_before_readings_were(
    ingest, bob, client_for, django_capture_on_commit_callbacks: Callable
):
    stored = ingest(_mail_with_parts())
    _read_before_this_change(stored)
    client = client_for(bob)
    assert reverse("inbound_message_read", args=[stored.pk]) in _page(client, stored)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("inbound_message_read", args=[stored.pk]))

    assert response.status_code == 302
    page = _page(client, stored)
    assert "The printer is down, plain and simple." in page and "counts.csv" in page
    assert "not been read yet" not in page


def test_reading_on_demand_is_refused_for_mail_the_worker_has_not_processed_yet(db, bob, client_for, readings_counted):
    stored = inbound_store(raw=mail(sender="dana@example.org"), source="pipe").message

    response = client_for(bob).post(reverse("inbound_message_read", args=[stored.pk]), follow=True)

    assert "will be read when the worker processes it" in response.content.decode()
    assert readings_counted == [] and not InboundReading.objects.exists()


def test_mail_quarantined_by_the_loop_breaker_after_it_was_read_can_be_read_by_staff(ingest, bob, client_for, settings):
    settings.INBOUND_SENDER_LIMIT = 0
    stored = ingest(mail(sender="dana@example.org", body="Again and again"))

    assert (stored.status, stored.reason) == (InboundStatus.QUARANTINED, Reason.SENDER_LOOP)
    assert "Again and again" in _page(client_for(bob), stored)


def test_mallory_gets_404_on_the_mail_page_and_its_read_button(ingest, mallory, client_for):
    stored = ingest(_mail_with_parts())
    _read_before_this_change(stored)
    client = client_for(mallory)

    assert client.get(reverse("inbound_message_original", args=[stored.pk])).status_code == 404
    assert client.post(reverse("inbound_message_read", args=[stored.pk])).status_code == 404
    assert not InboundReading.objects.exists()


def test_staff_download_the_mail_exactly_as_it_arrived_from_its_page(ingest, bob, client_for):
    """What a ticket's "Not attached (the original message keeps them)" names (the 11th file, one over the size
    limit, the parts not read) is in the stored mail: staff download it as an .eml their mail client opens."""
    raw = _mail_with_parts()
    stored = ingest(raw)
    client = client_for(bob)
    download = reverse("inbound_message_download", args=[stored.pk])

    response = client.get(download)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == raw
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"] == f'attachment; filename="mail-{stored.pk}.eml"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert f'href="{download}"' in _page(client, stored)


def test_mallory_gets_404_downloading_a_mail(ingest, mallory, client_for):
    stored = ingest(_mail_with_parts())

    assert client_for(mallory).get(reverse("inbound_message_download", args=[stored.pk])).status_code == 404


def test_the_full_mail_page_says_where_reading_stopped_in_a_mail_of_more_parts_than_read(
    ingest, bob, client_for, settings
):
    settings.INBOUND_MIME_PARTS_MAX = 3
    message = EmailMessage(policy=policy.SMTP)
    message["From"], message["To"], message["Subject"] = "dana@example.org", "support@example.com", "Many files"
    message.set_content("The files are attached.")
    for number in range(1, 6):
        message.add_attachment(b"x", maintype="application", subtype="octet-stream", filename=f"f{number}.bin")

    page = _page(client_for(bob), ingest(message.as_bytes()))

    assert "f1.bin" in page and "f3.bin" not in page
    assert "Read up to its part 3: the parts after it were not read. They are in the mail as sent." in page
