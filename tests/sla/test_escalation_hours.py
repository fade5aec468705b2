"""Escalation mail waits for the calendar to open: no mail at 3 a.m. on a Sunday unless it is 24x7."""

from __future__ import annotations

import pytest
from django.core import mail

from accounts.models import User
from events.models import Event, EventKind
from sla.models import BusinessCalendar, EscalationNotice, OpeningHours
from sla.services import sla_sweep
from tests.sla.conftest import berlin
from tickets.models import Priority, Status
from tickets.services import TicketChanges, comment_create, ticket_create, ticket_update


def _late_urgent_ticket(alice, bob, clock, django_capture_on_commit_callbacks):
    clock.to(berlin(2026, 3, 6, 15, 0))  # Friday: due 11:00 on Monday
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
        ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(assignee=bob))
    mail.outbox.clear()
    return ticket


def test_no_escalation_mail_outside_business_hours_zammad_4432(
    alice, bob, policy, clock, django_capture_on_commit_callbacks
):
    ticket = _late_urgent_ticket(alice, bob, clock, django_capture_on_commit_callbacks)
    clock.to(berlin(2026, 3, 6, 17, 0))
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep()  # 2 of 4 hours used: no warning yet
    clock.to(berlin(2026, 3, 8, 3, 0))  # the worker was down; it sweeps at 3 a.m. on Sunday
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep()
    assert not mail.outbox
    assert not Event.objects.filter(ticket=ticket, kind=EventKind.SLA_WARNING).exists()

    clock.to(berlin(2026, 3, 9, 9, 5))  # Monday, open, but only 2 h 5 of 4 h used: no warning yet
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep()
    assert not mail.outbox
    clock.to(berlin(2026, 3, 9, 10, 0))  # 3 h used: the warning comes, and is mailed at once
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep()
    assert [m.to for m in mail.outbox] == [[bob.email]]
    assert "due soon" in mail.outbox[0].subject


def test_the_mail_tells_the_due_time_in_the_calendars_zone_and_names_it(
    alice, bob, policy, clock, django_capture_on_commit_callbacks
):
    _late_urgent_ticket(alice, bob, clock, django_capture_on_commit_callbacks)
    clock.to(berlin(2026, 3, 9, 10, 0))  # 3 of 4 hours used: the warning
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep()

    [warning] = mail.outbox
    says = "is due at Mon 9 Mar 2026, 11:00 Europe/Berlin."
    assert says in warning.body
    assert says in warning.alternatives[0].content


def test_a_clock_without_a_calendar_is_told_in_the_recipients_own_zone(
    alice, bob, policy, clock, django_capture_on_commit_callbacks
):
    BusinessCalendar.objects.all().delete()  # urgent: 4 hours around the clock
    User.objects.filter(pk=bob.pk).update(time_zone="Asia/Kolkata")
    _late_urgent_ticket(alice, bob, clock, django_capture_on_commit_callbacks)  # 14:00 UTC: due 18:00 UTC
    clock.to(berlin(2026, 3, 6, 18, 0))  # 3 of 4 hours used: the warning
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep()

    [warning] = mail.outbox
    says = "is due at Fri 6 Mar 2026, 23:30 Asia/Kolkata."
    assert says in warning.body
    assert says in warning.alternatives[0].content


def test_a_warning_found_after_closing_time_is_mailed_when_the_office_opens(
    alice, bob, policy, clock, django_capture_on_commit_callbacks
):
    clock.to(berlin(2026, 3, 6, 13, 0))
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
        ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(assignee=bob))
    mail.outbox.clear()  # the requester's confirmation of the new ticket
    clock.to(berlin(2026, 3, 6, 22, 0))  # warning due 16:00, breach 17:00: found late on Friday night
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep()
    assert not mail.outbox
    assert set(EscalationNotice.objects.values_list("send_after", flat=True)) == {berlin(2026, 3, 9, 9, 0)}

    clock.to(berlin(2026, 3, 9, 9, 0, 30))
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep()
    assert sorted(m.subject.split(":")[0] for m in mail.outbox) == [
        f"[#{ticket.pk}] First response due soon",
        f"[#{ticket.pk}] First response target missed",
    ]


def test_a_notice_is_dropped_when_the_ticket_is_answered_before_the_office_opens(
    alice, bob, policy, clock, django_capture_on_commit_callbacks
):
    clock.to(berlin(2026, 3, 6, 13, 0))
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    clock.to(berlin(2026, 3, 6, 22, 0))
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep()
    clock.to(berlin(2026, 3, 7, 10, 0))
    comment_create(ticket=ticket, author=bob, body="Answering from home on Saturday.")
    clock.to(berlin(2026, 3, 9, 9, 1))
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep()
    assert not mail.outbox


def test_a_24x7_calendar_escalates_at_any_hour(alice, bob, policy, office, clock, django_capture_on_commit_callbacks):
    office.opening_hours.all().delete()
    office.holiday_country = ""
    office.save()
    OpeningHours.objects.bulk_create(
        OpeningHours(calendar=office, weekday=day, opens="00:00", closes="00:00") for day in range(7)
    )
    clock.to(berlin(2026, 3, 7, 23, 0))  # Saturday night
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT, assignee=bob)
    mail.outbox.clear()
    clock.to(berlin(2026, 3, 8, 3, 0))
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep()
    # Warning (2 a.m.) and breach (3 a.m.) are both sent at once, on a Sunday night, to the assignee.
    notices = EscalationNotice.objects.filter(clock__ticket=ticket)
    assert {(n.kind, n.sent_at) for n in notices} == {
        ("warning", berlin(2026, 3, 8, 3, 0)),
        ("breached", berlin(2026, 3, 8, 3, 0)),
    }
    assert len(mail.outbox) == 2


def _mail_held_over_the_weekend(clock, capture, *, created_at, ticket_create_kwargs, changes):
    """A ticket opened on Friday at `created_at`, swept after closing (its notices held for Monday's opening),
    changed on Saturday, and swept as the office opens on Monday: the mails of that sweep."""
    clock.to(created_at)
    with capture(execute=True):
        ticket = ticket_create(subject="Down", priority=Priority.URGENT, **ticket_create_kwargs)
    clock.to(berlin(2026, 3, 6, 22, 0))
    with capture(execute=True):
        sla_sweep()
    clock.to(berlin(2026, 3, 7, 10, 0))
    ticket_update(ticket=ticket, actor=ticket.assignee, changes=changes)
    mail.outbox.clear()
    clock.to(berlin(2026, 3, 9, 9, 0, 30))
    with capture(execute=True):
        sla_sweep()
    return list(mail.outbox)


@pytest.mark.parametrize(
    ("opened_at_hour", "saturday_change", "subject", "says"),
    [
        # Missed at 17:00 on Friday; lowered to normal on Saturday (8 h: now due at 13:00 on Monday). The mail says
        # when the target was missed, not a time still to come.
        (
            13,
            TicketChanges(priority=Priority.NORMAL),
            "target missed",
            "was missed at Fri 6 Mar 2026, 17:00 Europe/Berlin.",
        ),
        # 3 of 4 hours used at Friday's closing time, the warning's share; waiting on the requester from Saturday,
        # so the clock has no due time: not "is due at .".
        (
            14,
            TicketChanges(status=Status.PENDING),
            "due soon",
            "is nearly due; its clock is paused while the ticket is pending.",
        ),
    ],
    ids=["breach after the target was relaxed", "warning for a clock paused since"],
)
def test_a_notice_held_over_the_weekend_tells_the_clock_as_it_is_when_mailed(
    alice, bob, policy, clock, django_capture_on_commit_callbacks, opened_at_hour, saturday_change, subject, says
):
    clock.to(berlin(2026, 3, 6, opened_at_hour, 0))
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT, assignee=bob)
    clock.to(berlin(2026, 3, 6, 22, 0))  # found after closing: held for Monday's opening
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep()
    clock.to(berlin(2026, 3, 7, 10, 0))
    ticket_update(ticket=ticket, actor=bob, changes=saturday_change)
    mail.outbox.clear()
    clock.to(berlin(2026, 3, 9, 9, 0, 30))
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep()

    [notice] = [m for m in mail.outbox if subject in m.subject]
    assert says in notice.body
