"""Inbound mail from providers, through django-anymail's inbound views and their checks: HTTP basic auth with
INBOUND_WEBHOOK_SECRET for every provider, and Mailgun's signature (MAILGUN_WEBHOOK_SIGNING_KEY) for Mailgun.

A provider whose credentials are not configured answers 404: an unauthenticated door is never open. A webhook
answers 200 only once the message is stored; any failure before that is a 5xx, so the provider retries. A post over
INBOUND_WEBHOOK_MAX_BYTES answers 413, which providers do not retry: they bounce or log the mail.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from email import encoders, policy
from email.message import Message
from typing import Any

from anymail.exceptions import AnymailConfigurationError, AnymailError
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
from inbound.services import inbound_store
from inbound.webhook_bodies import webhook_body_limit, webhook_body_read

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
    inbound_store(
        raw=raw,
        source=Source.WEBHOOK,
        source_id=f"{esp_name}:{event.event_id}" if event.event_id else "",
        envelope_recipient=message.envelope_recipient or "",
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


def _provider_view(
    view_class: type[AnymailBasicAuthMixin], configured: Callable[[], bool], *, view_reads_form_body: bool = False
) -> Callable[..., HttpResponse]:
    view = view_class.as_view()

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
            return view(request)
        except (AnymailError, AnymailConfigurationError, KeyError, ValueError, RecursionError) as error:
            # A post the provider's format does not allow (or a webhook set up for the wrong events): 400, not a
            # 500. A failure to store (the database) is not caught: a 5xx makes the provider deliver it again.
            # RecursionError: anymail parses posted MIME with policy.default, which recurses into a header's
            # comments; a nesting past the stack is mail no retry will deliver.
            logger.warning("refused an inbound webhook post: %s", error)
            return HttpResponseBadRequest("Not an inbound mail post this endpoint accepts.")

    return provider_inbound


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


mailgun_inbound = _provider_view(MailgunInboundWebhookView, _mailgun_configured)
postmark_inbound = _provider_view(PostmarkInboundWebhookView, _basic_auth_configured)
# anymail's SendGrid view reads `request.body` before its fields (to decode text in another charset again).
sendgrid_inbound = _provider_view(SendGridInboundWebhookView, _basic_auth_configured, view_reads_form_body=True)
amazon_ses_inbound = _provider_view(AmazonSESInboundWebhookView, _basic_auth_configured)
