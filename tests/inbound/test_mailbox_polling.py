"""Polling a real Dovecot: IMAP by UID over TLS and STARTTLS, POP3 by UIDL; stored before marked or moved, never
deleted, and polling twice stores nothing twice."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from inbound.mailboxes import mailbox_poll, mailboxes_due
from inbound.models import AfterFetch, InboundMessage, Mailbox, Protocol, Security
from tests.inbound.messages import mail
from tests.support.dovecot import Account, Dovecot
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _trust_the_test_server(settings, dovecot: Dovecot) -> None:
    settings.INBOUND_TLS_CA_FILE = str(dovecot.ca_file)


@pytest.fixture
def make_mailbox(dovecot: Dovecot) -> Callable[..., tuple[Mailbox, Account]]:
    def make(
        *, protocol: str = Protocol.IMAP, security: str = Security.TLS, **fields: object
    ) -> tuple[Mailbox, Account]:
        account = dovecot.account()
        ports = {
            (Protocol.IMAP, Security.TLS): dovecot.imaps_port,
            (Protocol.IMAP, Security.STARTTLS): dovecot.imap_port,
            (Protocol.POP3, Security.TLS): dovecot.pop3s_port,
            (Protocol.POP3, Security.STARTTLS): dovecot.pop3_port,
        }
        mailbox = Mailbox.objects.create(
            name=account.username,
            address="support@example.com",
            protocol=protocol,
            host="127.0.0.1",
            port=ports[(protocol, security)],
            security=security,
            username=account.username,
            password=account.password,
            **fields,
        )
        return mailbox, account

    return make


@pytest.fixture
def poll(django_capture_on_commit_callbacks: Callable) -> Callable[[Mailbox], object]:
    def run(mailbox: Mailbox) -> object:
        with django_capture_on_commit_callbacks(execute=True):
            return mailbox_poll(mailbox_id=mailbox.pk)

    return run


def test_imap_over_tls_stores_processes_and_marks_seen(dovecot, make_mailbox, poll):
    mailbox, account = make_mailbox()
    dovecot.append(account, mail(sender="dana@example.org", subject="One"))
    dovecot.append(account, mail(sender="erin@example.org", subject="Two"))

    result = poll(mailbox)

    assert (result.fetched, result.stored) == (2, 2)
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["One", "Two"]
    assert dovecot.folder_uids(account, "INBOX", "UNSEEN") == []
    assert len(dovecot.folder_uids(account, "INBOX")) == 2  # never deleted
    mailbox.refresh_from_db()
    assert (mailbox.last_uid, mailbox.last_error) == (2, "")


def test_polling_twice_stores_nothing_twice(dovecot, make_mailbox, poll):
    mailbox, account = make_mailbox()
    dovecot.append(account, mail(sender="dana@example.org"))
    poll(mailbox)

    again = poll(mailbox)
    Mailbox.objects.filter(pk=mailbox.pk).update(last_uid=0)  # lost bookkeeping: the store still says "have it"
    after_reset = poll(Mailbox.objects.get(pk=mailbox.pk))

    assert (again.fetched, after_reset.fetched, after_reset.stored) == (0, 1, 0)
    assert InboundMessage.objects.count() == 1 and Ticket.objects.count() == 1


def test_imap_with_starttls_moves_to_the_processed_folder(dovecot, make_mailbox, poll):
    mailbox, account = make_mailbox(security=Security.STARTTLS, after_fetch=AfterFetch.MOVE, processed_folder="Done")
    dovecot.append(account, mail(sender="dana@example.org"))

    poll(mailbox)

    assert dovecot.folder_uids(account, "INBOX") == []
    assert len(dovecot.folder_uids(account, "Done")) == 1
    assert Ticket.objects.count() == 1


def test_a_folder_other_than_the_inbox_is_polled(dovecot, make_mailbox, poll):
    mailbox, account = make_mailbox(folder="Support Queue")
    client = dovecot.client(account)
    client.create('"Support Queue"')
    client.logout()
    dovecot.append(account, mail(sender="dana@example.org", subject="In the folder"), folder='"Support Queue"')

    poll(mailbox)

    assert Ticket.objects.get().subject == "In the folder"


@pytest.mark.parametrize("security", [Security.TLS, Security.STARTTLS])
def test_pop3_fetches_by_uidl_and_leaves_mail_on_the_server(dovecot, make_mailbox, poll, security):
    mailbox, account = make_mailbox(protocol=Protocol.POP3, security=security)
    dovecot.append(account, mail(sender="dana@example.org", subject="By POP3"))

    first, second = poll(mailbox), poll(mailbox)

    assert (first.stored, second.fetched) == (1, 0)
    assert Ticket.objects.get().subject == "By POP3"
    assert len(dovecot.folder_uids(account, "INBOX")) == 1


def test_a_wrong_password_is_recorded_on_the_mailbox(make_mailbox, poll):
    mailbox, _ = make_mailbox()
    Mailbox.objects.filter(pk=mailbox.pk).update(password="wrong")

    assert poll(Mailbox.objects.get(pk=mailbox.pk)) is None

    mailbox.refresh_from_db()
    assert "authentication failed" in mailbox.last_error.lower()


def test_an_untrusted_certificate_is_refused(settings, make_mailbox, poll):
    settings.INBOUND_TLS_CA_FILE = ""
    mailbox, _ = make_mailbox()

    assert poll(mailbox) is None

    mailbox.refresh_from_db()
    assert "certificate" in mailbox.last_error.lower()


def test_a_due_mailbox_is_claimed_once(make_mailbox):
    from django.utils import timezone

    mailbox, _ = make_mailbox(poll_interval_seconds=60)
    now = timezone.now()

    assert mailboxes_due(now=now) == [mailbox.pk]
    assert mailboxes_due(now=now) == []
    mailbox.refresh_from_db()
    assert (mailbox.next_poll_at - now).total_seconds() == 60


def test_pop3_keeps_fetching_once_the_server_holds_more_than_its_listing_window(
    dovecot, make_mailbox, poll, monkeypatch
):
    from inbound import mailboxes

    # The listing window is FETCH_BATCH * 10 (2,000 messages); POP3 mail is never deleted, so a busy mailbox
    # passes it. Scaled down: a batch of 1, a window of 10, and an 11th message.
    monkeypatch.setattr(mailboxes, "FETCH_BATCH", 1)
    mailbox, account = make_mailbox(protocol=Protocol.POP3)
    for number in range(11):
        dovecot.append(account, mail(sender=f"sender{number}@example.org", subject=f"Message {number}"))

    for _ in range(12):
        poll(mailbox)

    assert InboundMessage.objects.count() == 11
