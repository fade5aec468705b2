"""Inbound mail from Mailgun, Postmark, SendGrid and Amazon SES through django-anymail's views and their checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import tracemalloc
from email import message_from_bytes, policy
from email.message import EmailMessage
from urllib.parse import urlencode

import pytest
from anymail.inbound import AnymailInboundMessage
from anymail.webhooks.amazon_ses import AmazonSESInboundWebhookView
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.test.client import encode_multipart
from django.urls import reverse

from inbound import webhook_bodies, webhooks
from inbound.models import InboundMessage
from tests.inbound.messages import mail, new_message_id, raw_mail
from tickets.models import Attachment, Ticket

SECRET = "hooks:s3cret-basic-auth"
SIGNING_KEY = "mailgun-signing-key"


@pytest.fixture(autouse=True)
def _providers_configured(settings) -> None:
    settings.ANYMAIL = {"WEBHOOK_SECRET": [SECRET], "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}


def _basic(secret: str = SECRET) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def _mailgun_fields(raw: bytes, *, key: str = SIGNING_KEY, token: str = "tok-1") -> dict[str, str]:
    timestamp = "1796119200"
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {"body-mime": raw.decode(), "timestamp": timestamp, "token": token, "signature": signature,
            "recipient": "support@example.com", "sender": "dana@example.org"}  # fmt: skip


def _post(url: str, data: object, django_capture_on_commit_callbacks, **extra: object) -> object:
    with django_capture_on_commit_callbacks(execute=True):
        return Client().post(url, data, **extra)


def _ses_notification(raw: bytes, key: str, *, encoding: str = "BASE64", action: str = "SNS") -> dict[str, object]:
    """`raw` as Amazon SES notifies it through SNS (the SNS action, base64 or UTF-8 text), as messages `ses-<key>`
    (SES's id for the mail) and `sns-<key>` (SNS's id for the notification)."""
    if action == "SNS":
        receipt_action = {"type": "SNS", "encoding": encoding}
    else:
        receipt_action = {"type": action, "bucketName": "inbound-mail", "objectKey": f"mail/{key}"}
    ses_event = {
        "notificationType": "Received",
        "mail": {"messageId": f"ses-{key}", "source": "dana@example.org", "timestamp": "2026-12-01T10:00:00.000Z"},
        "receipt": {"recipients": ["support@example.com"], "action": receipt_action},
    }
    if action == "SNS":
        ses_event["content"] = base64.b64encode(raw).decode() if encoding == "BASE64" else raw.decode()
    return {"Type": "Notification", "MessageId": f"sns-{key}", "TopicArn": "arn:aws:sns:us-east-1:1:inbound",
            "Message": json.dumps(ses_event)}  # fmt: skip


def _sns_headers(sns: dict[str, object]) -> dict[str, object]:
    return {"content_type": "text/plain", "HTTP_X_AMZ_SNS_MESSAGE_TYPE": sns["Type"],
            "HTTP_X_AMZ_SNS_MESSAGE_ID": sns["MessageId"]}  # fmt: skip


def _post_ses(raw: bytes, key: str, django_capture_on_commit_callbacks, secret: str = SECRET, **kind: str) -> object:
    sns = _ses_notification(raw, key, **kind)
    return _post(reverse("inbound_amazon_ses"), json.dumps(sns), django_capture_on_commit_callbacks,
                 **_sns_headers(sns), **_basic(secret))  # fmt: skip


def test_mailgun_signed_mail_becomes_a_ticket_once(db, django_capture_on_commit_callbacks):
    raw = mail(sender="dana@example.org", subject="Via Mailgun")
    url = reverse("inbound_mailgun")

    first = _post(url, _mailgun_fields(raw), django_capture_on_commit_callbacks, **_basic())
    retry = _post(url, _mailgun_fields(raw), django_capture_on_commit_callbacks, **_basic())

    assert (first.status_code, retry.status_code) == (200, 200)
    assert Ticket.objects.get().subject == "Via Mailgun"
    assert InboundMessage.objects.get().source_id == "Mailgun:tok-1"


def test_mailgun_with_a_wrong_signature_is_refused_and_stores_nothing(db, django_capture_on_commit_callbacks):
    fields = _mailgun_fields(mail(sender="dana@example.org"), key="not-the-key")

    response = _post(reverse("inbound_mailgun"), fields, django_capture_on_commit_callbacks, **_basic())

    assert response.status_code == 400 and not InboundMessage.objects.exists()


@pytest.mark.usefixtures("two_files_of_1000_bytes")
def test_mailgun_mail_larger_than_the_page_upload_limit_still_arrives(db, django_capture_on_commit_callbacks):
    """Mail keeps its own limits (INBOUND_MAX_BYTES: stored, then quarantined); a page post's limit is not one."""
    fields = _mailgun_fields(b"")
    del fields["body-mime"]
    headers = [["From", "dana@example.org"], ["To", "support@example.com"], ["Subject", "Big logs"]]
    logs = SimpleUploadedFile("logs.txt", b"x" * 5000, content_type="text/plain")
    fields.update({"message-headers": json.dumps(headers), "body-plain": "Logs attached.", "attachment-count": "1",
                   "attachment-1": logs})  # fmt: skip

    response = _post(reverse("inbound_mailgun"), fields, django_capture_on_commit_callbacks, **_basic())

    assert response.status_code == 200
    assert Ticket.objects.get().subject == "Big logs"


def test_postmark_raw_email_with_basic_auth(db, django_capture_on_commit_callbacks):
    payload = {"RawEmail": mail(sender="dana@example.org", subject="Via Postmark").decode(), "MessageID": "pm-1",
               "Headers": [], "FromFull": {"Email": "dana@example.org"}}  # fmt: skip

    response = _post(reverse("inbound_postmark"), json.dumps(payload), django_capture_on_commit_callbacks,
                     content_type="application/json", **_basic())  # fmt: skip

    assert response.status_code == 200
    assert Ticket.objects.get().subject == "Via Postmark"


NESTED_COMMENTS = "(" * 5000 + "x" + ")" * 5000


@pytest.mark.parametrize(
    "header",
    [
        f"Cc: {NESTED_COMMENTS} <eve@example.org>",
        f"Content-Disposition: inline {NESTED_COMMENTS}",
        f"Content-Transfer-Encoding: 7bit {NESTED_COMMENTS}",
    ],
)
def test_a_raw_mime_post_with_a_header_of_deeply_nested_comments_is_stored(
    db, header, django_capture_on_commit_callbacks
):
    """The stdlib's header parser recurses into comments: writing the posted message out, or reading its parts'
    dispositions, must not fail the door with a RecursionError (a 500 the provider retries until it gives up)."""
    raw = raw_mail(f"From: dana@example.org\nTo: support@example.com\nSubject: Nested\n{header}", "Hello.")

    response = _post(reverse("inbound_mailgun"), _mailgun_fields(raw), django_capture_on_commit_callbacks, **_basic())

    assert response.status_code == 200
    assert (Ticket.objects.get().subject, Ticket.objects.get().description) == ("Nested", "Hello.")


def test_an_authenticated_raw_mime_post_the_provider_library_cannot_parse_is_kept_and_becomes_a_ticket(
    db, django_capture_on_commit_callbacks
):
    """anymail parses the posted MIME before the mail reaches the helpdesk, and gives up on a Content-Type nested
    past the stack. A 400 was final for the provider: the mail was lost. The helpdesk's own reading takes it."""
    raw = raw_mail(
        f"From: dana@example.org\nTo: support@example.com\nSubject: Nested\nContent-Type: text/plain {NESTED_COMMENTS}"
    )

    response = _post(reverse("inbound_mailgun"), _mailgun_fields(raw), django_capture_on_commit_callbacks, **_basic())

    assert response.status_code == 200
    stored = InboundMessage.objects.get()
    assert (bytes(stored.raw), stored.source, stored.source_id) == (raw, "webhook", "Mailgun:tok-1")
    assert (stored.ticket.subject, stored.ticket.description) == ("Nested", "Hello.")


def test_an_authenticated_postmark_post_whose_raw_email_the_provider_library_cannot_parse_becomes_a_ticket(
    db, django_capture_on_commit_callbacks
):
    raw = raw_mail(
        f"From: dana@example.org\nTo: support@example.com\nSubject: Nested\nContent-Type: text/plain {NESTED_COMMENTS}"
    )
    payload = {"RawEmail": raw.decode(), "MessageID": "pm-9", "Headers": [], "FromFull": {"Email": "dana@example.org"},
               "OriginalRecipient": "support@example.com"}  # fmt: skip

    response = _post(reverse("inbound_postmark"), json.dumps(payload), django_capture_on_commit_callbacks,
                     content_type="application/json", **_basic())  # fmt: skip

    assert response.status_code == 200
    stored = InboundMessage.objects.get()
    assert (stored.source_id, stored.envelope_recipient) == ("Postmark:pm-9", "support@example.com")
    assert (stored.ticket.subject, stored.ticket.description) == ("Nested", "Hello.")


def test_an_authenticated_post_the_provider_library_cannot_read_is_kept_quarantined_for_an_admin(
    db, django_capture_on_commit_callbacks
):
    """A post in the provider's parsed format (no raw MIME) that anymail cannot read: its fields and files are kept,
    quarantined with anymail's reason, where an admin sees failed mail."""
    fields = {**_mailgun_fields(b""), "from": "dana@example.org", "subject": "Parsed", "body-plain": "Hello.",
              "attachment-count": "1", "content-id-map": "{not json",
              "attachment-1": SimpleUploadedFile("log.txt", b"a log", content_type="text/plain")}  # fmt: skip
    del fields["body-mime"]

    response = _post(reverse("inbound_mailgun"), fields, django_capture_on_commit_callbacks, **_basic())

    assert response.status_code == 200
    kept = InboundMessage.objects.get()
    assert (kept.status, kept.reason, kept.source, kept.ticket) == ("quarantined", "failed", "webhook", None)
    assert "Mailgun" in kept.detail and "JSONDecodeError" in kept.detail
    posted = message_from_bytes(bytes(kept.raw), policy=policy.default)
    files = {part.get_filename(): part.get_content() for part in posted.iter_attachments()}
    assert (files["subject.txt"], files["body-plain.txt"], files["log.txt"]) == ("Parsed", "Hello.", b"a log")
    assert not Ticket.objects.exists()


def test_an_unauthenticated_post_the_provider_library_cannot_parse_is_still_refused(
    db, django_capture_on_commit_callbacks
):
    raw = raw_mail(f"From: dana@example.org\nTo: support@example.com\nContent-Type: text/plain {NESTED_COMMENTS}")
    fields = _mailgun_fields(raw, key="not-the-signing-key")

    response = _post(reverse("inbound_mailgun"), fields, django_capture_on_commit_callbacks, **_basic())

    assert response.status_code == 400 and not InboundMessage.objects.exists()


@pytest.mark.parametrize("name", ["inbound_postmark", "inbound_sendgrid", "inbound_amazon_ses"])
def test_basic_auth_providers_refuse_a_wrong_secret(db, name, django_capture_on_commit_callbacks):
    response = _post(reverse(name), {"email": "x"}, django_capture_on_commit_callbacks, **_basic("hooks:wrong"))

    assert response.status_code in (400, 401) and not InboundMessage.objects.exists()


def test_sendgrid_raw_mime_with_basic_auth(db, django_capture_on_commit_callbacks):
    fields = {"email": mail(sender="dana@example.org", subject="Via SendGrid").decode(),
              "envelope": json.dumps({"to": ["support@example.com"], "from": "dana@example.org"})}  # fmt: skip

    response = _post(reverse("inbound_sendgrid"), fields, django_capture_on_commit_callbacks, **_basic())

    assert response.status_code == 200
    assert Ticket.objects.get().subject == "Via SendGrid"
    assert InboundMessage.objects.get().envelope_recipient == "support@example.com"


# A Content-Type of 16,000 parameters (250 KB): policy.default took 13 s to parse it, inside the web request.
MANY_PARAMETERS = "".join(f"; p{n}=v" for n in range(16_000))
# Written as no library would write it: CRLF line ends, a continuation line indented with a tab, a header line
# longer than policy.default's 78 characters (which `as_bytes` refolds), an encoded-word in a folded Subject.
MANY_PARAMETERS_MAIL = raw_mail(
    "From: dana@example.org\nTo: support@example.com\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\n\tfrom a crafted mail\n"
    f"X-Long: {'word ' * 40}end\nContent-Type: text/plain; charset=utf-8{MANY_PARAMETERS}",
    "Hello.",
)


def _raw_mime_posts(raw: bytes) -> dict[str, tuple[str, object, dict[str, object]]]:
    postmark = {"RawEmail": raw.decode(), "MessageID": "pm-raw", "Headers": [], "FromFull": {},
                "OriginalRecipient": "support@example.com"}  # fmt: skip
    sendgrid = {
        "email": raw.decode(),
        "envelope": json.dumps({"to": ["support@example.com"], "from": "dana@example.org"}),
    }
    ses, ses_text = _ses_notification(raw, "raw"), _ses_notification(raw, "raw", encoding="UTF8")
    return {
        "mailgun": ("inbound_mailgun", _mailgun_fields(raw), {}),
        "postmark": ("inbound_postmark", json.dumps(postmark), {"content_type": "application/json"}),
        "sendgrid": ("inbound_sendgrid", sendgrid, {}),
        "amazon-ses": ("inbound_amazon_ses", json.dumps(ses), _sns_headers(ses)),
        "amazon-ses-utf8": ("inbound_amazon_ses", json.dumps(ses_text), _sns_headers(ses_text)),
    }


@pytest.fixture
def _anymail_parses_no_mime(monkeypatch) -> None:
    """Fails the test if anymail parses posted MIME (with policy.default, in the web request)."""

    def parsed(cls: type, *args: object) -> None:
        raise AssertionError("anymail parsed the posted MIME in the web request")

    for name in ("parse_raw_mime", "parse_raw_mime_bytes", "parse_raw_mime_chunks"):
        monkeypatch.setattr(AnymailInboundMessage, name, classmethod(parsed))


@pytest.mark.usefixtures("_anymail_parses_no_mime")
@pytest.mark.parametrize("kind", list(_raw_mime_posts(b"")))
def test_a_raw_mime_post_with_a_content_type_of_16000_parameters_is_stored_as_posted_and_becomes_a_ticket(
    db, kind, django_capture_on_commit_callbacks
):
    """The posted MIME is stored as it came, unparsed: the worker reads it under its own bounds (and the staff page
    shows the mail as sent, not anymail's re-serialisation of it)."""
    name, data, extra = _raw_mime_posts(MANY_PARAMETERS_MAIL)[kind]

    response = _post(reverse(name), data, django_capture_on_commit_callbacks, **extra, **_basic())

    assert response.status_code == 200
    stored = InboundMessage.objects.get()
    assert (bytes(stored.raw), stored.envelope_recipient) == (MANY_PARAMETERS_MAIL, "support@example.com")
    assert (stored.ticket.subject, stored.ticket.description) == ("Grüße from a crafted mail", "Hello.")


def test_a_postmark_raw_post_delivered_again_is_stored_once(db, django_capture_on_commit_callbacks):
    name, data, extra = _raw_mime_posts(mail(sender="dana@example.org", subject="Twice"))["postmark"]

    responses = [_post(reverse(name), data, django_capture_on_commit_callbacks, **extra, **_basic()) for _ in "12"]

    assert [response.status_code for response in responses] == [200, 200]
    assert InboundMessage.objects.get().source_id == "Postmark:pm-raw"
    assert Ticket.objects.get().subject == "Twice"


@pytest.mark.usefixtures("_anymail_parses_no_mime")
def test_a_sendgrid_raw_post_of_8_bit_mail_in_another_charset_is_stored_byte_for_byte(
    db, django_capture_on_commit_callbacks
):
    """SendGrid posts the mail's bytes as the `email` part (its `charsets` field names a charset for the fields it
    extracted, not for the MIME, which names its own). Read as text in the form's UTF-8, ISO-8859-1 lost its
    umlauts to U+FFFD."""
    raw = (
        b"From: dana@example.org\r\nTo: support@example.com\r\nSubject: Latin-1\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGr\xfc\xdfe\r\n"
    )
    envelope = json.dumps({"to": ["support@example.com"], "from": "dana@example.org"}).encode()
    fields = ((b"charsets", b'{"to":"UTF-8","subject":"UTF-8"}'), (b"envelope", envelope), (b"email", raw))
    body = b"".join(b'--b\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % field for field in fields)

    response = _post(reverse("inbound_sendgrid"), body + b"--b--\r\n", django_capture_on_commit_callbacks,
                     content_type="multipart/form-data; boundary=b", **_basic())  # fmt: skip

    assert response.status_code == 200
    stored = InboundMessage.objects.get()
    assert (bytes(stored.raw), stored.envelope_recipient) == (raw, "support@example.com")
    assert (stored.ticket.subject, stored.ticket.description) == ("Latin-1", "Grüße")


def test_amazon_ses_sns_notification_with_basic_auth(db, django_capture_on_commit_callbacks):
    raw = mail(sender="dana@example.org", subject="Via SES")
    response = _post_ses(raw, "1", django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert Ticket.objects.get().subject == "Via SES"
    assert InboundMessage.objects.get().source_id == "Amazon SES:ses-1"


def test_an_amazon_ses_notification_delivered_again_is_stored_once(db, django_capture_on_commit_callbacks):
    raw = mail(sender="dana@example.org", subject="Twice via SES")

    responses = [_post_ses(raw, "again", django_capture_on_commit_callbacks) for _ in "12"]

    assert [response.status_code for response in responses] == [200, 200]
    assert InboundMessage.objects.get().source_id == "Amazon SES:ses-again"
    assert Ticket.objects.get().subject == "Twice via SES"


def test_an_amazon_ses_notification_stored_through_anymail_before_is_not_stored_again(
    db, django_capture_on_commit_callbacks
):
    """Before the raw MIME was stored as posted, anymail's view parsed it and the helpdesk stored its re-serialisation
    (other bytes), named by SES's id for the mail: SNS delivering that notification again is the same mail."""
    raw = mail(sender="dana@example.org", subject="Stored before")
    sns = _ses_notification(raw, "before")
    view = AmazonSESInboundWebhookView()
    for event in view.esp_to_anymail_events(json.loads(sns["Message"]), sns):
        webhooks.store_provider_mail(sender=view, event=event, esp_name=view.esp_name)

    response = _post_ses(raw, "before", django_capture_on_commit_callbacks)

    assert response.status_code == 200
    stored = InboundMessage.objects.get()
    assert (stored.source_id, bytes(stored.raw) != raw) == ("Amazon SES:ses-before", True)


def test_an_amazon_ses_notification_with_a_wrong_secret_is_refused_and_stores_nothing(
    db, django_capture_on_commit_callbacks
):
    raw = mail(sender="dana@example.org", subject="Forged")

    response = _post_ses(raw, "forged", django_capture_on_commit_callbacks, secret="hooks:wrong")

    assert response.status_code == 400 and not InboundMessage.objects.exists()


def test_an_amazon_ses_notification_whose_sns_headers_do_not_match_its_body_is_refused(
    db, django_capture_on_commit_callbacks
):
    """anymail's SES view checks SNS's headers against the body it posts: a mail stored without the view too."""
    sns = _ses_notification(mail(sender="dana@example.org"), "headers")
    headers = {**_sns_headers(sns), "HTTP_X_AMZ_SNS_MESSAGE_ID": "sns-another"}

    response = _post(reverse("inbound_amazon_ses"), json.dumps(sns), django_capture_on_commit_callbacks, **headers,
                     **_basic())  # fmt: skip

    assert response.status_code == 400 and not InboundMessage.objects.exists()


def test_an_amazon_ses_notification_whose_content_is_not_base64_is_answered_by_anymail_as_before(
    db, django_capture_on_commit_callbacks
):
    """No mail to store as posted: anymail's view reads it, fails, and the post is kept for an admin as before."""
    sns = _ses_notification(b"", "garbled")
    ses_event = json.loads(sns["Message"]) | {"content": "not base64!"}
    sns["Message"] = json.dumps(ses_event)

    response = _post(reverse("inbound_amazon_ses"), json.dumps(sns), django_capture_on_commit_callbacks,
                     **_sns_headers(sns), **_basic())  # fmt: skip

    assert response.status_code == 200
    kept = InboundMessage.objects.get()
    assert (kept.status, kept.reason, kept.ticket) == ("quarantined", "failed", None)
    assert "Amazon SES" in kept.detail and "binascii.Error" in kept.detail


def test_an_amazon_ses_s3_notification_is_still_read_by_anymail_from_s3(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    """The mail is in the S3 bucket, not the post: anymail's view fetches it (here, from a stand-in for S3)."""
    raw = mail(sender="dana@example.org", subject="Via S3")
    fetched = []

    def fetch_s3_chunks(view: AmazonSESInboundWebhookView, bucket: str, key: str) -> list[bytes]:
        fetched.append((bucket, key))
        return [raw]

    monkeypatch.setattr(AmazonSESInboundWebhookView, "fetch_s3_chunks", fetch_s3_chunks)

    response = _post_ses(b"", "s3", django_capture_on_commit_callbacks, action="S3")

    assert response.status_code == 200 and fetched == [("inbound-mail", "mail/s3")]
    assert InboundMessage.objects.get().source_id == "Amazon SES:ses-s3"
    assert Ticket.objects.get().subject == "Via S3"


def test_an_sns_subscription_confirmation_with_credentials_is_confirmed_by_anymail(db, monkeypatch):
    confirmed = []
    monkeypatch.setattr(
        AmazonSESInboundWebhookView, "auto_confirm_sns_subscription", lambda view, sns: confirmed.append(sns["Token"])
    )
    sns = {"Type": "SubscriptionConfirmation", "MessageId": "m-2", "TopicArn": "arn:aws:sns:us-east-1:1:inbound",
           "Token": "t-2", "SubscribeURL": "https://sns.example/confirm"}  # fmt: skip

    response = Client().post(reverse("inbound_amazon_ses"), json.dumps(sns), **_sns_headers(sns), **_basic())

    assert response.status_code == 200 and confirmed == ["t-2"]
    assert not InboundMessage.objects.exists()


def test_an_unconfigured_provider_is_not_there(db, settings):
    settings.ANYMAIL = {}

    assert Client().post(reverse("inbound_mailgun"), {}).status_code == 404
    assert Client().post(reverse("inbound_postmark"), {}).status_code == 404


# Over Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) as one form field or JSON body, even before base64's 4/3.
LOGS = bytes(range(256)) * (12 * 1024)  # 3 MB


def _mail_with_logs(subject: str) -> bytes:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = "dana@example.org"
    message["To"] = "support@example.com"
    message["Subject"] = subject
    message["Message-ID"] = new_message_id()
    message.set_content("Logs attached.")
    message.add_attachment(LOGS, maintype="application", subtype="octet-stream", filename="logs.bin")
    return message.as_bytes()


def _stored_whole(raw: bytes | None = None) -> None:
    """The message as stored holds the attachment byte for byte, and so does the ticket it opened."""
    stored = InboundMessage.objects.get()
    parsed = message_from_bytes(bytes(stored.raw), policy=policy.default)
    assert [part.get_content() for part in parsed.iter_attachments()] == [LOGS]
    if raw is not None:  # posted as raw MIME: stored as posted, byte for byte (its CRLF line ends too)
        assert bytes(stored.raw) == raw
    attachment = Attachment.objects.get(ticket=Ticket.objects.get())
    with attachment.file.open("rb") as file:
        assert (attachment.filename, attachment.size, file.read()) == ("logs.bin", len(LOGS), LOGS)


@pytest.mark.parametrize("encoding", ["multipart", "urlencoded"])
def test_a_mailgun_raw_mime_mail_over_the_page_field_limit_is_stored_whole(
    db, encoding, django_capture_on_commit_callbacks
):
    raw = _mail_with_logs("Big mime")
    fields = _mailgun_fields(raw)
    extra = {"content_type": "application/x-www-form-urlencoded"} if encoding == "urlencoded" else {}
    data = urlencode(fields) if encoding == "urlencoded" else fields

    response = _post(reverse("inbound_mailgun"), data, django_capture_on_commit_callbacks, **extra, **_basic())

    assert response.status_code == 200
    assert Ticket.objects.get().subject == "Big mime"
    _stored_whole(raw)


def _mailgun_parsed_fields(subject: str, text: str, attachment: SimpleUploadedFile) -> dict:
    """Mailgun's parsed format (a route not ending in "mime"): headers as JSON, the text, the file as a file part."""
    fields = _mailgun_fields(b"")
    del fields["body-mime"]
    headers = [["From", "dana@example.org"], ["To", "support@example.com"], ["Subject", subject]]
    fields.update({"message-headers": json.dumps(headers), "body-plain": text, "attachment-count": "1",
                   "attachment-1": attachment})  # fmt: skip
    return fields


def test_a_mailgun_parsed_mail_with_a_3_mb_attachment_is_stored_whole(db, django_capture_on_commit_callbacks):
    logs = SimpleUploadedFile("logs.bin", LOGS, content_type="application/octet-stream")
    fields = _mailgun_parsed_fields("Big parsed", "Logs attached.", logs)

    response = _post(reverse("inbound_mailgun"), fields, django_capture_on_commit_callbacks, **_basic())

    assert response.status_code == 200
    assert Ticket.objects.get().subject == "Big parsed"
    _stored_whole()


def test_a_mailgun_parsed_attachment_keeps_its_non_ascii_name_and_fields_their_text(
    db, django_capture_on_commit_callbacks
):
    fields = _mailgun_fields(b"")
    del fields["body-mime"]
    headers = [["From", "dana@example.org"], ["To", "support@example.com"], ["Subject", "Über naïve"]]
    report = SimpleUploadedFile("../Bericht für Büro.txt", "Grüße\r\nzwei".encode(), content_type="text/plain")
    fields.update({"message-headers": json.dumps(headers), "body-plain": "Grüße, Dana", "attachment-count": "1",
                   "attachment-1": report})  # fmt: skip

    response = _post(reverse("inbound_mailgun"), fields, django_capture_on_commit_callbacks, **_basic())

    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert (ticket.subject, ticket.description) == ("Über naïve", "Grüße, Dana")
    attachment = Attachment.objects.get(ticket=ticket)
    with attachment.file.open("rb") as file:
        assert (attachment.filename, file.read()) == ("Bericht für Büro.txt", "Grüße\r\nzwei".encode())


def test_a_postmark_json_post_over_the_page_body_limit_is_stored_whole(db, django_capture_on_commit_callbacks):
    raw = _mail_with_logs("Big postmark")
    payload = {"RawEmail": raw.decode(), "MessageID": "pm-big", "Headers": [],
               "FromFull": {"Email": "dana@example.org"}}  # fmt: skip

    response = _post(reverse("inbound_postmark"), json.dumps(payload), django_capture_on_commit_callbacks,
                     content_type="application/json", **_basic())  # fmt: skip

    assert response.status_code == 200
    assert Ticket.objects.get().subject == "Big postmark"
    _stored_whole(raw)


def test_a_sendgrid_raw_post_over_the_page_field_limit_is_stored_whole(db, django_capture_on_commit_callbacks):
    raw = _mail_with_logs("Big sendgrid")
    fields = {"email": raw.decode(),
              "envelope": json.dumps({"to": ["support@example.com"], "from": "dana@example.org"})}  # fmt: skip

    response = _post(reverse("inbound_sendgrid"), fields, django_capture_on_commit_callbacks, **_basic())

    assert response.status_code == 200
    assert Ticket.objects.get().subject == "Big sendgrid"
    assert InboundMessage.objects.get().envelope_recipient == "support@example.com"
    _stored_whole(raw)


def test_an_amazon_ses_notification_over_the_page_body_limit_is_stored_whole(db, django_capture_on_commit_callbacks):
    raw = _mail_with_logs("Big SES")
    response = _post_ses(raw, "big", django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert Ticket.objects.get().subject == "Big SES"
    _stored_whole(raw)


def _over_the_limit_posts() -> dict[str, tuple[str, object, dict[str, object]]]:
    raw = mail(sender="dana@example.org", subject="Too big", body="x" * 5000)
    parsed = _mailgun_fields(b"")
    del parsed["body-mime"]
    parsed.update({"message-headers": json.dumps([["Subject", "Too big"]]), "attachment-count": "1",
                   "attachment-1": SimpleUploadedFile("logs.bin", b"x" * 5000)})  # fmt: skip
    postmark = json.dumps({"RawEmail": raw.decode(), "MessageID": "pm-2", "Headers": [], "FromFull": {}})
    return {
        "mailgun-mime": ("inbound_mailgun", _mailgun_fields(raw), {}),
        "mailgun-parsed": ("inbound_mailgun", parsed, {}),
        "postmark": ("inbound_postmark", postmark, {"content_type": "application/json"}),
        "sendgrid": ("inbound_sendgrid", {"email": raw.decode()}, {}),
        "amazon-ses": ("inbound_amazon_ses", json.dumps({"Type": "Notification", "Message": raw.decode()}),
                       {"content_type": "text/plain", "HTTP_X_AMZ_SNS_MESSAGE_TYPE": "Notification"}),
    }  # fmt: skip


@pytest.mark.parametrize("kind", list(_over_the_limit_posts()))
def test_a_post_over_the_webhook_limit_is_refused_with_413_and_stores_nothing(
    db, kind, settings, caplog, django_capture_on_commit_callbacks
):
    settings.INBOUND_WEBHOOK_MAX_BYTES = 4000
    name, data, extra = _over_the_limit_posts()[kind]

    with caplog.at_level(logging.WARNING, logger="inbound.webhooks"):
        response = _post(reverse(name), data, django_capture_on_commit_callbacks, **extra, **_basic())

    assert response.status_code == 413
    assert not InboundMessage.objects.exists()
    assert any("INBOUND_WEBHOOK_MAX_BYTES" in record.getMessage() for record in caplog.records)


def test_a_post_that_streams_past_the_limit_without_declaring_it_is_refused_with_413(db, settings):
    """No Content-Length (or one that does not bound the stream) is caught while reading, not only up front."""
    settings.INBOUND_WEBHOOK_MAX_BYTES = 4000
    raw = mail(sender="dana@example.org", body="x" * 5000)
    request = RequestFactory().post(reverse("inbound_sendgrid"), {"email": raw.decode()}, **_basic())
    del request.META["CONTENT_LENGTH"]

    response = webhooks.sendgrid_inbound(request)

    assert response.status_code == 413 and not InboundMessage.objects.exists()


def test_a_post_at_the_webhook_limit_is_accepted(db, settings, django_capture_on_commit_callbacks):
    fields = {"email": mail(sender="dana@example.org", subject="Just fits").decode()}
    settings.INBOUND_WEBHOOK_MAX_BYTES = len(encode_multipart("BoUnDaRyStRiNg", fields))

    response = _post(reverse("inbound_sendgrid"), fields, django_capture_on_commit_callbacks, **_basic())

    assert response.status_code == 200 and Ticket.objects.get().subject == "Just fits"


def test_a_malformed_multipart_post_is_a_400_not_a_500(db, django_capture_on_commit_callbacks):
    body = b"no delimiter anywhere: not a part in sight"
    response = _post(reverse("inbound_sendgrid"), body, django_capture_on_commit_callbacks,
                     content_type="multipart/form-data; boundary=xyz", **_basic())  # fmt: skip

    assert response.status_code == 400 and not InboundMessage.objects.exists()


def test_a_held_body_is_what_django_reads_as_body_post_and_files(settings):
    """Pins inbound.webhook_bodies._hold_body (a private attribute of Django's request) and the upload handler hook
    to Django's behaviour: a Django release that reads them differently fails here, not in production."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    factory = RequestFactory()
    form = factory.post("/", {"field": "x" * 100, "file": SimpleUploadedFile("a.bin", b"\r\x00\xff")})
    urlencoded = factory.post("/", "field=" + "y" * 100, content_type="application/x-www-form-urlencoded")
    json_body = factory.post("/", {"field": "z" * 100}, content_type="application/json")

    held = (form, urlencoded, json_body)
    assert all(webhook_bodies.webhook_body_read(request, view_reads_form_body=True) for request in held)

    assert form.POST["field"] == "x" * 100 and form.FILES["file"].read() == b"\r\x00\xff"
    assert form.body.startswith(b"--") and urlencoded.POST["field"] == "y" * 100
    assert json.loads(json_body.body) == {"field": "z" * 100}


class _UnreadableInput:
    """A request stream that fails the test if anything reads it."""

    def read(self, *args: object) -> bytes:
        raise AssertionError("the body of an unauthenticated post was read")

    readline = read


@pytest.mark.parametrize("declared", [100 * 1024 * 1024, 1000], ids=["over-the-limit", "within-the-limit"])
@pytest.mark.parametrize(("auth", "refused"), [(_basic("hooks:wrong"), 400), ({}, 401)],
                         ids=["wrong-secret", "no-secret"])  # fmt: skip
@pytest.mark.parametrize("name", ["inbound_mailgun", "inbound_postmark", "inbound_sendgrid", "inbound_amazon_ses"])
def test_an_unauthenticated_post_is_refused_without_reading_its_body(db, name, auth, refused, declared):
    """Wrong credentials: anymail's 400. None: a 401 challenge, which Amazon SNS waits for before it sends them."""
    response = Client().post(reverse(name), b"", content_type="multipart/form-data; boundary=xyz",
                             CONTENT_LENGTH=str(declared), **{"wsgi.input": _UnreadableInput()}, **auth)  # fmt: skip

    assert response.status_code == refused and not InboundMessage.objects.exists()
    if refused == 401:
        assert response["WWW-Authenticate"].startswith("Basic ")


def test_an_sns_subscription_confirmation_without_credentials_is_challenged(db):
    """SNS posts once without credentials and sends those of the subscription's URL only after a 401 challenge."""
    sns = {"Type": "SubscriptionConfirmation", "MessageId": "m-1", "TopicArn": "arn:aws:sns:us-east-1:1:inbound",
           "Token": "t", "SubscribeURL": "https://sns.example/confirm"}  # fmt: skip

    response = Client().post(reverse("inbound_amazon_ses"), json.dumps(sns), content_type="text/plain",
                             HTTP_X_AMZ_SNS_MESSAGE_TYPE="SubscriptionConfirmation",
                             HTTP_X_AMZ_SNS_MESSAGE_ID="m-1")  # fmt: skip

    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Basic ")


def test_mailgun_with_only_its_signing_key_configured_still_takes_signed_mail(
    db, settings, django_capture_on_commit_callbacks
):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}
    fields = _mailgun_fields(mail(sender="dana@example.org", subject="No basic auth"))

    response = _post(reverse("inbound_mailgun"), fields, django_capture_on_commit_callbacks)

    assert response.status_code == 200 and Ticket.objects.get().subject == "No basic auth"


def test_a_repeated_boundary_parameter_cannot_carry_more_parts_than_django_allows(
    db, settings, django_capture_on_commit_callbacks
):
    """Django takes the last `boundary=`; parts delimited by the first are not parts of the form at all."""
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS, settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3, 1
    fields = _mailgun_fields(mail(sender="dana@example.org"))  # six parts
    body = encode_multipart("first", fields)

    response = _post(reverse("inbound_mailgun"), body, django_capture_on_commit_callbacks,
                     content_type="multipart/form-data; boundary=first; boundary=second", **_basic())  # fmt: skip

    assert response.status_code == 400 and not InboundMessage.objects.exists()


@pytest.mark.parametrize("name", ["inbound_mailgun", "inbound_sendgrid"])
def test_a_multipart_post_of_more_parts_than_django_allows_is_a_400(
    db, name, settings, django_capture_on_commit_callbacks
):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS, settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3, 1
    fields = _mailgun_fields(mail(sender="dana@example.org")) | {"email": mail(sender="dana@example.org").decode()}

    response = _post(reverse(name), fields, django_capture_on_commit_callbacks, **_basic())

    assert response.status_code == 400 and not InboundMessage.objects.exists()


def _nested_multipart(parts: int) -> bytes:
    inner = b"".join(b"--inner\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % n for n in range(parts))
    return inner + b"--inner--\r\n"


def test_a_form_part_holding_multipart_is_one_file_kept_byte_for_byte_not_parts_of_the_form(settings):
    """Nested parts are not parsed (nor counted as the form's): the file is the bytes that were posted."""
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS, settings.DATA_UPLOAD_MAX_NUMBER_FILES = 1, 1
    nested = _nested_multipart(50)
    blob = SimpleUploadedFile("parts.bin", nested, content_type="multipart/mixed; boundary=inner")
    request = RequestFactory().post("/", {"field": "x", "blob": blob})

    assert webhook_bodies.webhook_body_read(request, view_reads_form_body=False)

    assert list(request.POST) == ["field"] and request.FILES["blob"].read() == nested


def test_a_file_name_in_a_charset_other_than_utf_8_keeps_its_readable_characters():
    body = (b'--b\r\nContent-Disposition: form-data; name="attachment-1"; filename="Bericht f\xfcr B\xfcro.txt"\r\n'
            b"Content-Type: text/plain\r\n\r\nGr\xfc\xdfe\r\n--b--\r\n")  # fmt: skip
    request = RequestFactory().post("/", body, content_type="multipart/form-data; boundary=b")

    assert webhook_bodies.webhook_body_read(request, view_reads_form_body=False)

    upload = request.FILES["attachment-1"]
    assert (upload.name, upload.read()) == ("Bericht f\ufffdr B\ufffdro.txt", b"Gr\xfc\xdfe")


def test_a_mailgun_parsed_mail_with_an_attached_message_stores_it_byte_for_byte(db, django_capture_on_commit_callbacks):
    forwarded = mail(sender="erin@example.org", subject="The original", body="First line.\nSecond line.\n")
    forwarded = forwarded.replace(b"\r\n", b"\n")  # as stored: LF line ends, as for every webhook
    eml = SimpleUploadedFile("original.eml", forwarded, content_type="message/rfc822")
    fields = _mailgun_parsed_fields("Forwarding", "See attached.", eml)

    response = _post(reverse("inbound_mailgun"), fields, django_capture_on_commit_callbacks, **_basic())

    assert response.status_code == 200
    attachment = Attachment.objects.get(ticket=Ticket.objects.get(subject="Forwarding"))
    with attachment.file.open("rb") as file:
        assert (attachment.filename, file.read()) == ("original.eml", forwarded)


def test_form_parts_sent_in_base64_are_decoded_as_django_decodes_them(db, django_capture_on_commit_callbacks):
    """RFC 7578 deprecates Content-Transfer-Encoding in form data, but Django's parser decodes base64: so does ours."""
    fields = _mailgun_fields(b"")
    del fields["body-mime"]
    headers = [["From", "dana@example.org"], ["To", "support@example.com"], ["Subject", "Encoded parts"]]
    fields.update({"message-headers": json.dumps(headers), "attachment-count": "1"})
    form = encode_multipart("BoUnDaRy", fields)[: -len(b"--BoUnDaRy--\r\n")]
    for disposition, content in (
        ('name="body-plain"', b"Logs attached."),
        ('name="attachment-1"; filename="a.bin"', LOGS[:4096]),
    ):
        head = f"--BoUnDaRy\r\nContent-Disposition: form-data; {disposition}\r\nContent-Transfer-Encoding: base64"
        form += head.encode() + b"\r\n\r\n" + base64.encodebytes(content) + b"\r\n"

    response = _post(reverse("inbound_mailgun"), form + b"--BoUnDaRy--\r\n", django_capture_on_commit_callbacks,
                     content_type="multipart/form-data; boundary=BoUnDaRy", **_basic())  # fmt: skip

    assert response.status_code == 200
    ticket = Ticket.objects.get(subject="Encoded parts")
    assert "Logs attached." in ticket.description
    with Attachment.objects.get(ticket=ticket).file.open("rb") as file:
        assert file.read() == LOGS[:4096]


FIELD_BYTES = 5 * 1024 * 1024
LARGE_FIELDS = {
    "line-ends": b"\r\n" * (FIELD_BYTES // 2),
    "base64": b"\r\n".join([base64.b64encode(bytes(range(57)))] * (FIELD_BYTES // 78)),
}


@pytest.mark.parametrize("kind", list(LARGE_FIELDS))
def test_a_large_form_field_is_parsed_in_memory_bounded_by_its_size(db, kind):
    """The standard library's MIME parser split a field into lines: a field of 20 MB of line ends cost 822 MB."""
    fields = _mailgun_fields(mail(sender="dana@example.org", subject="Padded"))
    boundary = "BoUnDaRy"
    padding = (f'--{boundary}\r\nContent-Disposition: form-data; name="padding"\r\n\r\n').encode()
    body = padding + LARGE_FIELDS[kind] + b"\r\n" + encode_multipart(boundary, fields)
    request = RequestFactory().post(reverse("inbound_mailgun"), body,
                                    content_type=f"multipart/form-data; boundary={boundary}", **_basic())  # fmt: skip
    del body

    tracemalloc.start()
    try:
        response = webhooks.mailgun_inbound(request)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert response.status_code == 200 and InboundMessage.objects.get()
    assert peak < 3 * FIELD_BYTES
