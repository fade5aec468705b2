"""The whole intake over ../shared/email-corpus: every message delivered to a real Dovecot mailbox, polled twice
and processed. Each ends exactly as listed below: a new ticket, a reply on an earlier one, or ignored or
quarantined with its reason. Nothing lost, nothing stored twice, no error."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbound.mailboxes import mailbox_poll
from inbound.models import InboundMessage, Mailbox, Security
from tests.inbound.corpus import corpus_folder

pytestmark = pytest.mark.django_db

CORPUS = corpus_folder()
NEW_TICKET = ("processed", "", "ticket")
REPLY = ("processed", "", "comment")  # example07: jdoe answers the thread example05 opened (a stored Message-ID)
AUTO_REPLY = ("ignored", "auto_reply", None)
BOUNCE = ("ignored", "bounce", None)
DUPLICATE = ("ignored", "duplicate", None)  # upstream fixtures often reuse one Message-ID
NO_SENDER = ("quarantined", "no_sender", None)
SENDER_LOOP = ("quarantined", "sender_loop", None)  # the 24th mail from sony@chatwoot.com within ten minutes
UNVERIFIED_SENDER = ("quarantined", "unverified_sender", "ticket")  # example06: Mary replies on John's ticket
SAME_BYTES = ("stored once", "", None)  # a line-ending variant: as delivered, the same bytes as an earlier file

# Everything not listed here opens a new ticket.
EXPECTED: dict[str, tuple[str, str, str | None]] = {
    "chatwoot/auto_reply.eml": AUTO_REPLY,
    "chatwoot/auto_reply_with_auto_submitted.eml": DUPLICATE,
    "chatwoot/bounced_gmail.eml": BOUNCE,
    "chatwoot/bounced_with_no_from.eml": BOUNCE,
    "chatwoot/forwarder_email.eml": DUPLICATE,
    "chatwoot/group_sender_support.eml": DUPLICATE,
    "chatwoot/mail_with_inline_images.eml": DUPLICATE,
    "chatwoot/mail_with_invalid_to_2.eml": DUPLICATE,
    "chatwoot/mail_with_no_date.eml": DUPLICATE,
    "chatwoot/mail_with_no_subject.eml": DUPLICATE,
    "chatwoot/mail_with_plain_text_and_inline_image.eml": DUPLICATE,
    "chatwoot/mail_with_references.eml": DUPLICATE,
    "chatwoot/multiple_attachments.eml": DUPLICATE,
    "chatwoot/multiple_in_reply_to.eml": DUPLICATE,
    "chatwoot/non_utf_encoded_mail.eml": AUTO_REPLY,
    "chatwoot/only_attachments.eml": DUPLICATE,
    "chatwoot/references.eml": DUPLICATE,
    "chatwoot/reply.eml": DUPLICATE,
    "chatwoot/reply_mail_without_uuid.eml": DUPLICATE,
    "chatwoot/reply_to.eml": DUPLICATE,
    "chatwoot/support.eml": DUPLICATE,
    "chatwoot/support_in_reply_to.eml": DUPLICATE,
    "chatwoot/support_uppercase.eml": DUPLICATE,
    "chatwoot/support_without_sender_name.eml": DUPLICATE,
    "chatwoot/welcome.eml": DUPLICATE,
    "chatwoot/welcome_html.eml": SENDER_LOOP,
    "django-mailbox/message_with_defective_attachment_association_result.eml": DUPLICATE,
    "django-mailbox/message_with_image_jpg_mimetype.eml": AUTO_REPLY,
    "django-mailbox/message_with_many_multiparts.eml": DUPLICATE,
    "django-mailbox/message_with_many_multiparts_stripped_html.eml": DUPLICATE,
    "django-mailbox/message_with_not_decoded_attachment_header.eml": DUPLICATE,
    "django-mailbox/message_with_utf8_attachment.eml": NO_SENDER,
    "django-mailbox/message_with_utf8_char.eml": AUTO_REPLY,
    "mikel-mail/attachment_emails/attachment_content_location.eml": DUPLICATE,
    "mikel-mail/attachment_emails/attachment_message_rfc822.eml": DUPLICATE,
    "mikel-mail/attachment_emails/attachment_nonascii_filename.eml": DUPLICATE,
    "mikel-mail/attachment_emails/attachment_pdf_lf.eml": SAME_BYTES,
    "mikel-mail/attachment_emails/attachment_pdf_non_ascii.eml": DUPLICATE,
    "mikel-mail/attachment_emails/attachment_pdf_non_ascii_lf.eml": SAME_BYTES,
    "mikel-mail/attachment_emails/attachment_with_encoded_name.eml": DUPLICATE,
    "mikel-mail/attachment_emails/attachment_with_unquoted_name.eml": DUPLICATE,
    "mikel-mail/error_emails/bad_date_header.eml": AUTO_REPLY,
    "mikel-mail/error_emails/bad_encoded_subject.eml": NO_SENDER,
    "mikel-mail/error_emails/multiple_invalid_content_dispositions.eml": DUPLICATE,
    "mikel-mail/error_emails/multiple_references_with_one_invalid.eml": DUPLICATE,
    "mikel-mail/mime_emails/raw_email11.eml": NO_SENDER,
    "mikel-mail/mime_emails/raw_email12.eml": SAME_BYTES,
    "mikel-mail/mime_emails/raw_email2.eml": DUPLICATE,
    "mikel-mail/mime_emails/raw_email7.eml": DUPLICATE,
    "mikel-mail/mime_emails/raw_email_with_illegal_boundary.eml": DUPLICATE,
    "mikel-mail/mime_emails/raw_email_with_mimepart_without_content_type.eml": BOUNCE,
    "mikel-mail/mime_emails/raw_email_with_multipart_mixed_quoted_boundary.eml": DUPLICATE,
    "mikel-mail/mime_emails/raw_email_with_quoted_illegal_boundary.eml": DUPLICATE,
    "mikel-mail/multipart_report_emails/multi_address_bounce1.eml": BOUNCE,
    "mikel-mail/multipart_report_emails/multi_address_bounce2.eml": SAME_BYTES,
    "mikel-mail/multipart_report_emails/multipart_report_multiple_status.eml": BOUNCE,
    "mikel-mail/multipart_report_emails/report_422.eml": BOUNCE,
    "mikel-mail/multipart_report_emails/report_530.eml": BOUNCE,
    "mikel-mail/plain_emails/basic_email_lf.eml": SAME_BYTES,
    "mikel-mail/plain_emails/mix_caps_content_type.eml": NO_SENDER,
    "mikel-mail/plain_emails/raw_email5.eml": DUPLICATE,
    "mikel-mail/plain_emails/raw_email6.eml": DUPLICATE,
    "mikel-mail/plain_emails/raw_email8.eml": SAME_BYTES,
    "mikel-mail/plain_emails/raw_email_incorrect_header.eml": NO_SENDER,
    "mikel-mail/plain_emails/raw_email_multiple_from.eml": NO_SENDER,
    "mikel-mail/plain_emails/raw_email_quoted_with_0d0a.eml": DUPLICATE,
    "mikel-mail/plain_emails/raw_email_simple.eml": DUPLICATE,
    "mikel-mail/plain_emails/raw_email_with_at_display_name.eml": DUPLICATE,
    "mikel-mail/plain_emails/raw_email_with_partially_quoted_subject.eml": DUPLICATE,
    "mikel-mail/rfc2822/example02.eml": DUPLICATE,
    "mikel-mail/rfc2822/example05.eml": SAME_BYTES,
    "mikel-mail/rfc2822/example06.eml": UNVERIFIED_SENDER,
    "mikel-mail/rfc2822/example07.eml": REPLY,
    "mikel-mail/rfc2822/example08.eml": DUPLICATE,
    "mikel-mail/rfc2822/example09.eml": DUPLICATE,
    "mikel-mail/rfc2822/example11.eml": DUPLICATE,
    "mikel-mail/rfc2822/example12.eml": DUPLICATE,
    "mikel-mail/rfc2822/example13.eml": NO_SENDER,
    "mikel-mail/rfc6532/utf8_headers.eml": NO_SENDER,
}


def _messages() -> list[Path]:
    return sorted(CORPUS.rglob("*.eml")) if CORPUS else []


def _outcome(message: InboundMessage | None) -> tuple[str, str, str | None]:
    if message is None:
        return SAME_BYTES
    made = "comment" if message.comment_id else ("ticket" if message.ticket_id else None)
    return (message.status, message.reason, made)


@pytest.mark.skipif(CORPUS is None, reason="the shared email corpus is not here")
def test_every_corpus_message_ends_as_expected_and_a_second_poll_changes_nothing(
    dovecot, settings, django_capture_on_commit_callbacks
):
    settings.INBOUND_TLS_CA_FILE = str(dovecot.ca_file)
    account = dovecot.account()
    files = _messages()
    for path in files:
        dovecot.append(account, path.read_bytes())
    mailbox = Mailbox.objects.create(
        name="corpus", address="support@example.com", host="127.0.0.1", port=dovecot.imaps_port,
        security=Security.TLS, username=account.username, password=account.password,
    )  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        first = mailbox_poll(mailbox_id=mailbox.pk)
    with django_capture_on_commit_callbacks(execute=True):
        second = mailbox_poll(mailbox_id=mailbox.pk)

    same_bytes = sum(1 for outcome in EXPECTED.values() if outcome == SAME_BYTES)
    assert (first.fetched, first.stored, second.fetched) == (len(files), len(files) - same_bytes, 0)
    by_uid = {int(message.source_id.rpartition(":")[2]): message for message in InboundMessage.objects.defer("raw")}
    outcomes = {str(path.relative_to(CORPUS)): _outcome(by_uid.get(uid)) for uid, path in enumerate(files, start=1)}
    assert outcomes == {name: EXPECTED.get(name, NEW_TICKET) for name in outcomes}
    assert InboundMessage.objects.count() == len(files) - same_bytes  # nothing lost, nothing stored twice
    assert not InboundMessage.objects.filter(status="received").exists()
    assert not InboundMessage.objects.filter(reason="failed").exists()  # no error anywhere
