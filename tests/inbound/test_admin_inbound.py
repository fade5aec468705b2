"""The admin: mailboxes (password stored encrypted, never shown), quarantined mail reprocessed or discarded."""

from __future__ import annotations

from django.db import connection
from django.urls import reverse

from inbound.models import InboundMessage, InboundStatus, Mailbox, Reason
from tests.inbound.messages import mail
from tickets.models import Ticket


def _mailbox_form(**overrides: str) -> dict[str, str]:
    return {"name": "Support", "address": "support@example.com", "is_active": "on", "protocol": "imap",
            "host": "imap.example.com", "port": "993", "security": "tls", "username": "support",
            "password": "imap-password", "folder": "INBOX", "after_fetch": "seen", "processed_folder": "Processed",
            "poll_interval_seconds": "60", **overrides}  # fmt: skip


def test_an_admin_adds_a_mailbox_whose_password_is_stored_encrypted(carol, client_for):
    response = client_for(carol).post(reverse("admin:inbound_mailbox_add"), _mailbox_form())

    assert response.status_code == 302
    assert Mailbox.objects.get().password == "imap-password"
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM inbound_mailbox")
        assert "imap-password" not in cursor.fetchone()[0]


def test_the_password_is_never_shown_and_an_empty_field_keeps_it(carol, client_for):
    client = client_for(carol)
    client.post(reverse("admin:inbound_mailbox_add"), _mailbox_form())
    mailbox = Mailbox.objects.get()
    url = reverse("admin:inbound_mailbox_change", args=[mailbox.pk])

    assert "imap-password" not in client.get(url).content.decode()
    client.post(url, _mailbox_form(password="", host="imap2.example.com"))

    mailbox.refresh_from_db()
    assert (mailbox.host, mailbox.password) == ("imap2.example.com", "imap-password")


def test_an_agent_cannot_see_mailboxes(bob, client_for):
    assert client_for(bob).get(reverse("admin:inbound_mailbox_changelist")).status_code == 403


def test_an_admin_reprocesses_quarantined_mail_after_raising_the_limit(ingest, carol, client_for, settings,
                                                                       django_capture_on_commit_callbacks):  # fmt: skip
    settings.INBOUND_MAX_BYTES = 100
    held = ingest(mail(sender="dana@example.org", subject="Big"))
    settings.INBOUND_MAX_BYTES = 10_000

    with django_capture_on_commit_callbacks(execute=True):
        client_for(carol).post(reverse("admin:inbound_inboundmessage_changelist"),
                               {"action": "reprocess_selected", "_selected_action": [held.pk]})  # fmt: skip

    held.refresh_from_db()
    assert held.status == InboundStatus.PROCESSED and Ticket.objects.get().subject == "Big"


def test_an_admin_discards_quarantined_mail(ingest, carol, client_for, settings):
    settings.INBOUND_MAX_BYTES = 100
    held = ingest(mail(sender="dana@example.org"))

    client_for(carol).post(reverse("admin:inbound_inboundmessage_changelist"),
                           {"action": "discard_selected", "_selected_action": [held.pk]})  # fmt: skip

    held.refresh_from_db()
    assert (held.status, held.reason, held.decided_by) == (InboundStatus.IGNORED, Reason.DISCARDED, carol)


def test_an_admin_reads_a_stored_mail_from_the_admin(ingest, carol, client_for):
    stored = ingest(mail(sender="dana@example.org", subject="Readable", body="Every word of it"))
    client = client_for(carol)

    change_page = client.get(reverse("admin:inbound_inboundmessage_change", args=[stored.pk])).content.decode()
    mail_page = client.get(reverse("inbound_message_original", args=[stored.pk])).content.decode()

    assert reverse("inbound_message_original", args=[stored.pk]) in change_page
    assert "Every word of it" in mail_page


def test_processed_mail_cannot_be_reprocessed(ingest, carol, client_for):
    stored = ingest(mail(sender="dana@example.org"))

    client_for(carol).post(reverse("admin:inbound_inboundmessage_changelist"),
                           {"action": "reprocess_selected", "_selected_action": [stored.pk]})  # fmt: skip

    assert InboundMessage.objects.get().status == InboundStatus.PROCESSED and Ticket.objects.count() == 1
