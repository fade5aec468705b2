"""Inbound mail from Mailgun, Postmark, SendGrid and Amazon SES through django-anymail's views and their checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from inbound.models import InboundMessage
from tests.inbound.messages import mail
from tickets.models import Ticket

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


def test_amazon_ses_sns_notification_with_basic_auth(db, django_capture_on_commit_callbacks):
    raw = mail(sender="dana@example.org", subject="Via SES")
    ses_event = {
        "notificationType": "Received",
        "mail": {"messageId": "ses-1", "source": "dana@example.org", "timestamp": "2026-12-01T10:00:00.000Z"},
        "receipt": {"recipients": ["support@example.com"], "action": {"type": "SNS", "encoding": "BASE64"}},
        "content": base64.b64encode(raw).decode(),
    }
    sns = {"Type": "Notification", "MessageId": "sns-1", "TopicArn": "arn:aws:sns:us-east-1:1:inbound",
           "Message": json.dumps(ses_event)}  # fmt: skip

    response = _post(reverse("inbound_amazon_ses"), json.dumps(sns), django_capture_on_commit_callbacks,
                     content_type="text/plain", HTTP_X_AMZ_SNS_MESSAGE_TYPE="Notification",
                     HTTP_X_AMZ_SNS_MESSAGE_ID="sns-1", **_basic())  # fmt: skip

    assert response.status_code == 200
    assert Ticket.objects.get().subject == "Via SES"
    assert InboundMessage.objects.get().source_id == "Amazon SES:ses-1"


def test_an_unconfigured_provider_is_not_there(db, settings):
    settings.ANYMAIL = {}

    assert Client().post(reverse("inbound_mailgun"), {}).status_code == 404
    assert Client().post(reverse("inbound_postmark"), {}).status_code == 404
