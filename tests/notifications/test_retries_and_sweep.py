"""A mail server that is down delays mail and loses none: each failed send is retried with backoff, a mail whose
message was lost is re-queued by the sweep, and one given up stays `failed` for an admin to resend."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.services import user_update
from notifications import services
from notifications.models import Notification, NotificationKind, NotificationStatus
from tickets.services import TicketChanges, comment_create, ticket_update


@pytest.fixture
def smtp_down(monkeypatch):
    def refuse(*, notification):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(services, "notification_deliver", refuse)
    return monkeypatch


def test_a_mail_that_keeps_failing_is_given_up_as_failed_with_the_error(worker, ticket, bob, smtp_down, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 5

    worker(lambda: comment_create(ticket=ticket, author=bob, body="Refund sent"))

    notification = Notification.objects.get()
    assert (notification.status, notification.attempts) == (NotificationStatus.FAILED, 5)
    assert "Connection unexpectedly closed" in notification.last_error
    assert notification.sent_at is None


def test_one_failure_leaves_the_mail_queued_for_a_later_attempt(
    ticket, bob, smtp_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        comment_create(ticket=ticket, author=bob, body="hi")
    from events.models import Event

    services.notifications_for_event(event=Event.objects.get(kind="comment.added"))
    notification = services.notification_claim(notification_id=Notification.objects.get().pk)
    before = timezone.now()

    delay = services.notification_failed(notification=notification, error=OSError("refused"))

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.QUEUED and delay is not None
    assert notification.next_attempt_at >= before + timedelta(seconds=delay - 1)


def test_the_sweep_resends_a_mail_whose_message_was_lost(ticket, bob, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        comment_create(ticket=ticket, author=bob, body="Lost in the broker")
    from events.models import Event

    services.notifications_for_event(event=Event.objects.get(kind="comment.added"))  # queued; never handed over
    assert mail.outbox == []

    later = timezone.now() + timedelta(seconds=settings.EVENT_REDELIVER_AFTER_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.notifications_sweep(now=later) == 1

    assert [message.to for message in mail.outbox] == [["alice@example.com"]]
    assert Notification.objects.get().status == NotificationStatus.SENT
    assert services.notifications_sweep(now=later) == 0


def lost_mails(count: int) -> list[Notification]:
    """Mails queued long ago whose message to the worker was lost (a broker restart, a worker killed)."""
    long_ago = timezone.now() - timedelta(days=1)
    return [
        Notification.objects.create(
            kind=NotificationKind.AUTOMATION,
            key=f"lost:{number}",
            address=f"customer{number}@example.com",
            ticket=None,
            subject="Your order",
            body_text="It shipped.",
            message_id=f"<lost-{number}@helpdesk.example>",
            next_attempt_at=long_ago,
        )
        for number in range(count)
    ]


def sweep_reads(queries: CaptureQueriesContext) -> list[str]:
    """The sweep's reads of lost mail, by their filter (sending one mail reads it again, by id)."""
    return [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith("SELECT") and '"notifications_notification"."next_attempt_at" <' in query["sql"]
    ]


def test_the_sweep_reads_a_backlog_in_bounded_batches_and_resends_every_mail_once(db, monkeypatch):
    monkeypatch.setattr(services, "SWEEP_BATCH", 2)
    lost = lost_mails(5)

    with CaptureQueriesContext(connection) as queries:
        assert services.notifications_sweep() == 5

    assert sorted(message.to[0] for message in mail.outbox) == sorted(mail_.address for mail_ in lost)
    assert set(Notification.objects.values_list("status", flat=True)) == {NotificationStatus.SENT}
    reads = sweep_reads(queries)
    assert len(reads) == 3  # 2 + 2 + 1
    assert all("LIMIT 2" in sql for sql in reads)


def test_a_mail_the_sweep_cannot_resend_is_set_aside_and_the_others_go_on(db, monkeypatch, caplog):
    first, *others = lost_mails(3)
    real = services._hand_over

    def fails_for_the_first(notification_id: int) -> None:
        if notification_id == first.pk:
            raise RuntimeError("cannot hand it over")
        real(notification_id)

    monkeypatch.setattr(services, "_hand_over", fails_for_the_first)

    assert services.notifications_sweep() == 2

    assert sorted(message.to[0] for message in mail.outbox) == sorted(mail_.address for mail_ in others)
    assert f"could not re-send notification {first.pk}" in caplog.text


@pytest.mark.parametrize(
    "change", [{"is_active": False}, {"role": Role.REQUESTER}], ids=["deactivated", "made a requester"]
)
def test_a_mail_waiting_for_the_mail_server_is_not_sent_to_someone_who_may_no_longer_have_it(
    ticket, bob, carol, settings, change, django_capture_on_commit_callbacks
):
    """Assigned while the mail server was down; by the time it is back Bob left (or is a requester now): the mail,
    the requester's name and a staff link, is not sent, and the mail log says why."""
    with django_capture_on_commit_callbacks(execute=False):
        ticket_update(ticket=ticket, actor=carol, changes=TicketChanges(assignee=bob))
    from events.models import Event

    services.notifications_for_event(event=Event.objects.get(kind="ticket.assignee_changed"))  # queued, not sent
    user_update(user=bob, actor=carol, **change)

    later = timezone.now() + timedelta(seconds=settings.EVENT_REDELIVER_AFTER_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        services.notifications_sweep(now=later)

    assert mail.outbox == []
    withdrawn = Notification.objects.get(address="bob@example.com")
    assert withdrawn.status == NotificationStatus.FAILED and withdrawn.last_error.startswith("Not sent: ")


def test_a_mail_stuck_sending_after_a_worker_died_is_sent_again(
    ticket, bob, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        comment_create(ticket=ticket, author=bob, body="Worker died")
    from events.models import Event

    services.notifications_for_event(event=Event.objects.get(kind="comment.added"))
    services.notification_claim(notification_id=Notification.objects.get().pk)  # then the worker was killed

    much_later = timezone.now() + timedelta(
        seconds=settings.EVENT_REDELIVER_AFTER_SECONDS + settings.CELERY_TASK_TIME_LIMIT + 1
    )
    services.notifications_sweep(now=timezone.now())
    assert mail.outbox == []  # not yet: it may still be on its way
    with django_capture_on_commit_callbacks(execute=True):
        services.notifications_sweep(now=much_later)
    assert len(mail.outbox) == 1


def test_an_admin_resends_a_failed_mail(worker, ticket, bob, carol, client_for, settings, monkeypatch):
    settings.NOTIFICATION_MAX_ATTEMPTS = 1
    real_deliver = services.notification_deliver
    monkeypatch.setattr(services, "notification_deliver", lambda **kwargs: (_ for _ in ()).throw(OSError("down")))
    worker(lambda: comment_create(ticket=ticket, author=bob, body="Eventually"))
    failed = Notification.objects.get()
    assert failed.status == NotificationStatus.FAILED
    listing = client_for(carol).get(reverse("admin:notifications_notification_changelist") + "?status=failed")
    assert failed.address in listing.content.decode()
    monkeypatch.setattr(services, "notification_deliver", real_deliver)

    worker(
        lambda: client_for(carol).post(
            reverse("admin:notifications_notification_changelist"),
            {"action": "resend_selected", "_selected_action": [failed.pk]},
        )
    )

    failed.refresh_from_db()
    assert failed.status == NotificationStatus.SENT and [m.to for m in mail.outbox] == [["alice@example.com"]]


def test_agents_cannot_see_the_mail_log(ticket, bob, client_for):
    response = client_for(bob).get(reverse("admin:notifications_notification_changelist"))

    assert response.status_code in (302, 403)
