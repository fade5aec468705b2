"""Inbound mail from providers, through django-anymail's inbound views and their checks: HTTP basic auth with
INBOUND_WEBHOOK_SECRET for every provider, and Mailgun's signature (MAILGUN_WEBHOOK_SIGNING_KEY) for Mailgun.

A provider whose credentials are not configured answers 404: an unauthenticated door is never open. A webhook
answers 200 only once the message is stored; any failure before that is a 5xx, so the provider retries. A post over
INBOUND_WEBHOOK_MAX_BYTES answers 413, which providers do not retry: they bounce or log the mail.

A post carrying the mail's raw MIME (Mailgun's `body-mime`, Postmark's `RawEmail`, SendGrid's raw `email`, the
`content` of Amazon SES's notification for a receipt rule's SNS action) passes the same checks (anymail's view's
own validators) and is stored as posted, unparsed: anymail would parse it with policy.default inside the request
(a Content-Type of 16,000 parameters held the web worker 10 s; 64,000, past the worker timeout, failed the post
with a 5xx the provider retried for days) and store its own re-serialisation, not the mail as sent. The worker
reads it under its own bounds (inbound.parsing). The providers' parsed formats, and SNS's other posts (a
subscription's confirmation, which anymail confirms; SES's S3 action, whose mail anymail fetches), go through
anymail's view.

A post that passed the checks but that anymail cannot read is kept, and answered 200: a provider takes a 4xx as
final (or retries it a few times, to the same refusal), and the mail was lost. It holds no raw MIME (that is stored
unread), so it is kept quarantined as failed, its fields and files attached, for an admin. A post that fails the
checks, or that is no mail post (a webhook set up for the wrong events: AnymailConfigurationError), is still a 400.
"""

from __future__ import annotations

import json
import logging
import traceback
from base64 import b64decode
from collections.abc import Callable
from dataclasses import dataclass
from email import encoders, policy
from email.message import EmailMessage, Message
from typing import Any

from anymail.exceptions import AnymailConfigurationError, AnymailError, AnymailWebhookValidationFailure
from anymail.signals import AnymailInboundEvent, inbound
from anymail.webhooks.amazon_ses import AmazonSESInboundWebhookView
from anymail.webhooks.base import AnymailBasicAuthMixin
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt

from inbound.models import Source
from inbound.services import inbound_keep_unreadable, inbound_store
from inbound.webhook_bodies import FORM_DATA, held_form_field_bytes, webhook_body_limit, webhook_body_read

logger = logging.getLogger(__name__)

DISPATCH_UID = "inbound.webhooks.store_provider_mail"


def connect() -> None:
    inbound.connect(store_provider_mail, dispatch_uid=DISPATCH_UID)


def store_provider_mail(sender: object, event: AnymailInboundEvent, esp_name: str, **kwargs: Any) -> None:
    message = event.message
    _encode_binary_attachments(message)
    try:
        raw = message.as_bytes()
    # RecursionError: policy.default refolds a long header by parsing it, and recurses into its comments. compat32
    # writes it as it came.
    except (ValueError, LookupError, UnicodeError, TypeError, RecursionError):
        raw = message.as_bytes(policy=policy.compat32)
    _webhook_mail_stored(raw, esp_name=esp_name, event_id=event.event_id, recipient=message.envelope_recipient)


def _webhook_mail_stored(raw: bytes, *, esp_name: str, event_id: str | None, recipient: str | None) -> None:
    """Store a provider's mail, named by the provider and its id for the post: a post delivered again is that mail."""
    inbound_store(
        raw=raw,
        source=Source.WEBHOOK,
        source_id=f"{esp_name}:{event_id}" if event_id else "",
        envelope_recipient=recipient or "",
    )


def _encode_binary_attachments(message: Message) -> None:
    """Base64 for the files a provider posted as form parts (Mailgun's and SendGrid's parsed formats): anymail puts
    their bytes in the message as they are, with no Content-Transfer-Encoding, and writing the message out would
    turn every CR or LF byte in them into a line end. An attachment parsed from raw MIME names its encoding and is
    left as posted; so is a file of plain ASCII text, whose line ends MIME leaves to the reader anyway."""
    for part in message.walk():
        try:
            if part.is_multipart() or part.get_content_disposition() not in ("attachment", "inline"):
                continue
            if "Content-Transfer-Encoding" not in part and not (part.get_payload(decode=True) or b"").isascii():
                encoders.encode_base64(part)
        except RecursionError:
            # A MIME header of deeply nested comments (the parser recurses into them): anymail wrote no such
            # header, so the part came from raw MIME and is left as posted (inbound.parsing reads it with compat32).
            continue


def _basic_auth_configured() -> bool:
    return bool(settings.ANYMAIL.get("WEBHOOK_SECRET"))


def _mailgun_configured() -> bool:
    return bool(settings.ANYMAIL.get("MAILGUN_WEBHOOK_SIGNING_KEY"))


def _basic_auth_check(view_class: type[AnymailBasicAuthMixin], request: HttpRequest) -> None:
    """anymail's own basic auth check (AnymailWebhookValidationFailure when WEBHOOK_SECRET is set and the post does
    not carry one of its entries), run before the body is read: the view runs it only once anymail has the body, and
    an unauthenticated caller would make a worker read and hold up to INBOUND_WEBHOOK_MAX_BYTES. Mailgun's signature
    is in the body: with only its signing key configured, the body is read (within the limit) to check it."""
    AnymailBasicAuthMixin.validate_request(view_class(), request)


class _PostUnreadable(Exception):
    """anymail could not read a post whose checks (basic auth, Mailgun's signature) it had passed: the view parses
    a post's events only once its validators have run."""


# What anymail raises on a post it cannot read: its own errors, and those of reading a field of the wrong shape.
# RecursionError: it parses posted MIME with policy.default, which recurses into a header's comments.
_UNREADABLE = (AnymailError, LookupError, ValueError, TypeError, AttributeError, RecursionError)


def _reading_kept(view_class: type[AnymailBasicAuthMixin]) -> type[AnymailBasicAuthMixin]:
    class ReadingKept(view_class):
        def parse_events(self, request: HttpRequest) -> list[AnymailInboundEvent]:
            try:
                return super().parse_events(request)
            except (AnymailConfigurationError, AnymailWebhookValidationFailure):
                raise  # no mail post (a webhook set up for other events), or one refused (SES's SNS topic)
            except _UNREADABLE as error:
                raise _PostUnreadable from error

    return ReadingKept


def _provider_view(
    view_class: type[AnymailBasicAuthMixin],
    configured: Callable[[], bool],
    *,
    posted_mime: Callable[[HttpRequest], PostedMime] | None = None,
    view_reads_form_body: bool = False,
) -> Callable[..., HttpResponse]:
    """`posted_mime`: the mail's raw MIME in the provider's post, for a provider that posts it: stored as posted."""
    view = _reading_kept(view_class).as_view()
    esp_name = view_class.esp_name  # a class attribute: an instance would read the settings at import

    @csrf_exempt
    def provider_inbound(request: HttpRequest) -> HttpResponse:
        if not configured():
            raise Http404("This provider is not configured.")
        if _basic_auth_configured() and not request.META.get("HTTP_AUTHORIZATION"):
            return _credentials_asked()
        try:
            _basic_auth_check(view_class, request)
            if not webhook_body_read(request, view_reads_form_body=view_reads_form_body):
                return _too_large(request)
            mime = posted_mime(request) if posted_mime else PostedMime()
            if not mime.raw:
                return view(request)
            _validators_run(view_class, request)
        except _PostUnreadable as unreadable:
            return _unreadable_post_kept(request, esp_name=esp_name, error=unreadable.__cause__)
        except (AnymailError, AnymailConfigurationError, KeyError, ValueError, RecursionError) as error:
            # A post that fails the checks, or that the provider's format does not allow (a webhook set up for the
            # wrong events): 400, not a 500. A failure to store (the database) is not caught: a 5xx makes the
            # provider deliver it again.
            logger.warning("refused an inbound webhook post: %s", error)
            return HttpResponseBadRequest("Not an inbound mail post this endpoint accepts.")
        _webhook_mail_stored(mime.raw, esp_name=esp_name, event_id=mime.event_id, recipient=mime.recipient)
        return HttpResponse()  # as anymail's view answers

    return provider_inbound


def _validators_run(view_class: type[AnymailBasicAuthMixin], request: HttpRequest) -> None:
    """Every check anymail's view runs before it reads a post (basic auth, Mailgun's signature, Amazon SNS's headers
    against its body): the view's own `run_validators`, so a check anymail adds to a provider (such as SNS's
    signature, which anymail 15 does not check yet) applies to the posts stored without the view too."""
    view_class().run_validators(request)


def _unreadable_post_kept(
    request: HttpRequest,
    *,
    esp_name: str,
    error: BaseException | None,
) -> HttpResponse:
    reason = "".join(traceback.format_exception_only(type(error), error)).strip()
    logger.warning("anymail could not read an authenticated %s inbound post, kept: %s", esp_name, reason[:500])
    inbound_keep_unreadable(
        raw=_post_as_mail(request, esp_name=esp_name, reason=reason),
        source=Source.WEBHOOK,
        subject=f"A {esp_name} inbound post anymail could not read",
        detail=f"anymail could not read this {esp_name} inbound post; its fields and files are attached. {reason}",
    )
    return HttpResponse("Kept.", content_type="text/plain")


@dataclass(frozen=True)
class PostedMime:
    """What a provider's post says of its mail, read as anymail reads it: the raw MIME (empty for a post in the
    provider's parsed format), the provider's id for the post, the envelope recipient."""

    raw: bytes = b""
    event_id: str = ""
    recipient: str = ""


def _mailgun_mime(request: HttpRequest) -> PostedMime:
    fields = request.POST
    return PostedMime(_mime(fields.get("body-mime")), _text(fields.get("token")), _text(fields.get("recipient")))


def _postmark_mime(request: HttpRequest) -> PostedMime:
    posted = _json_object(request.body)
    return PostedMime(
        _mime(posted.get("RawEmail")), _text(posted.get("MessageID")), _text(posted.get("OriginalRecipient"))
    )


def _sendgrid_mime(request: HttpRequest) -> PostedMime:
    recipients = _json_object(request.POST.get("envelope") or "").get("to")
    recipient = recipients[0] if isinstance(recipients, list) and recipients else ""
    raw = _mime(request.POST.get("email"))
    if raw and request.content_type == FORM_DATA:
        # The part's bytes (the body is held: view_reads_form_body): the MIME names its own charsets, and SendGrid's
        # `charsets` field names those of the fields it extracted, not one the mail as a whole could be decoded in.
        raw = held_form_field_bytes(request, "email") or raw
    return PostedMime(raw, recipient=_text(recipient))


def _amazon_ses_mime(request: HttpRequest) -> PostedMime:
    """The mail in an SNS notification of a receipt rule's SNS action, with the id anymail gives the inbound event
    (SES's id for the mail, not SNS's for the notification: a post stored through anymail's view before is the same
    mail delivered again). Anything else is left to anymail's view, to answer as it does: a subscription's
    confirmation (anymail confirms it), the S3 action (anymail fetches the mail), a post it cannot read."""
    try:
        # anymail's own reading of the body, kept on the request: its check of the SNS headers reads the same one.
        sns = AmazonSESInboundWebhookView._parse_sns_message(request)
    except AnymailError:
        return PostedMime()
    if not isinstance(sns, dict) or sns.get("Type") != "Notification":
        return PostedMime()
    ses_event = _json_object(_text(sns.get("Message")))
    receipt, mail = _json_field(ses_event, "receipt"), _json_field(ses_event, "mail")
    action = _json_field(receipt, "action")
    if ses_event.get("notificationType") != "Received" or action.get("type") != "SNS":
        return PostedMime()
    recipients = receipt.get("recipients")
    recipient = recipients[0] if isinstance(recipients, list) and recipients else ""
    return PostedMime(
        _ses_content(ses_event.get("content"), action.get("encoding")), _text(mail.get("messageId")), _text(recipient)
    )


def _ses_content(content: object, encoding: object) -> bytes:
    """The mail as anymail decodes it: base64 as its `b64decode` takes it (leniently), else UTF-8 text."""
    if not isinstance(content, str):
        return b""
    if encoding != "BASE64":
        return _mime(content)
    try:
        return b64decode(content.encode("ascii"))
    except ValueError:  # not base64 (binascii.Error), or not ASCII: anymail's view answers as it does
        return b""


def _json_field(posted: dict[str, Any], name: str) -> dict[str, Any]:
    value = posted.get(name)
    return value if isinstance(value, dict) else {}


def _json_object(text: str | bytes) -> dict[str, Any]:
    try:
        posted = json.loads(text)
    except ValueError:
        return {}
    return posted if isinstance(posted, dict) else {}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _mime(value: object) -> bytes:
    """Posted MIME as text (a form field decoded by Django, a JSON string), in UTF-8 as anymail encodes it to parse
    it. surrogatepass: a JSON string may hold a lone surrogate (an escape), which UTF-8 refuses; a post that always
    fails to store is retried for days, while the worker reads any bytes."""
    return _text(value).encode("utf-8", errors="surrogatepass")


def _post_as_mail(request: HttpRequest, *, esp_name: str, reason: str) -> bytes:
    """The post as a mail an admin reads on the stored mail's page: each field and file an attachment, or the
    body as posted when it is not a form."""
    kept = EmailMessage(policy=policy.SMTP)
    kept["Subject"] = f"A {esp_name} inbound post anymail could not read"
    kept.set_content(f"anymail could not read this {esp_name} inbound post: {reason}\n")
    if request.content_type in (FORM_DATA, "application/x-www-form-urlencoded"):
        for name, values in request.POST.lists():
            for value in values:
                # As bytes, in base64: a text part's content would end in a line end the field did not have.
                text = value.encode("utf-8", errors="surrogateescape")
                kept.add_attachment(text, "text", "plain", filename=f"{name}.txt", params={"charset": "utf-8"})
        for uploads in request.FILES.lists():
            for upload in uploads[1]:
                kept.add_attachment(upload.read(), "application", "octet-stream", filename=upload.name)
    else:
        kept.add_attachment(request.body, "application", "octet-stream", filename="post")
    return kept.as_bytes()


def _credentials_asked() -> HttpResponse:
    """A post without credentials where they are required: 401 with a Basic challenge, as HTTP has it (and as anymail
    answers Amazon SNS, which sends the credentials in a subscription's URL only once challenged). Wrong
    credentials stay a 400, as anymail refuses them."""
    response = HttpResponse("Credentials required.", status=401, content_type="text/plain")
    response["WWW-Authenticate"] = 'Basic realm="Anymail WEBHOOK_SECRET"'
    return response


def _too_large(request: HttpRequest) -> HttpResponse:
    logger.warning(
        "refused an inbound webhook post to %s over INBOUND_WEBHOOK_MAX_BYTES (%d bytes; Content-Length %s)",
        request.path,
        webhook_body_limit(),
        request.META.get("CONTENT_LENGTH") or "not given",
    )
    return HttpResponse("The post is larger than this endpoint accepts.", status=413, content_type="text/plain")


mailgun_inbound = _provider_view(MailgunInboundWebhookView, _mailgun_configured, posted_mime=_mailgun_mime)
postmark_inbound = _provider_view(PostmarkInboundWebhookView, _basic_auth_configured, posted_mime=_postmark_mime)
# anymail's SendGrid view reads `request.body` before its fields (to decode text in another charset again).
sendgrid_inbound = _provider_view(
    SendGridInboundWebhookView, _basic_auth_configured, posted_mime=_sendgrid_mime, view_reads_form_body=True
)
amazon_ses_inbound = _provider_view(AmazonSESInboundWebhookView, _basic_auth_configured, posted_mime=_amazon_ses_mime)
