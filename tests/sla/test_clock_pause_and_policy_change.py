"""Pending pauses every clock and resuming keeps the time used; a new policy or priority keeps it too, and a policy
that comes later leaves out the time the ticket was pending."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from events.models import Event, EventKind
from sla.display import next_due
from sla.models import Metric, SlaClock, SlaPolicy, SlaRefreshRequest, SlaTarget
from sla.services import sla_sweep
from sla.tasks import sla_refresh_open_tickets
from tests.sla.conftest import berlin, refuse
from tickets.models import Priority, Status, Tag, Ticket
from tickets.services import TicketChanges, comment_create, ticket_change_status, ticket_create, ticket_update


def _resolution(ticket):
    return SlaClock.objects.running().get(ticket=ticket, metric=Metric.RESOLUTION)


def test_pending_pauses_the_clock_and_open_resumes_it_with_the_time_already_used(alice, bob, policy, clock):
    clock.to(berlin(2026, 3, 2, 9, 0))
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    clock.to(berlin(2026, 3, 2, 12, 0))
    ticket_change_status(ticket=ticket, actor=bob, status=Status.PENDING)
    paused = _resolution(ticket)
    assert paused.paused and paused.due_at is None and paused.elapsed == timedelta(hours=3)

    clock.to(berlin(2026, 3, 4, 15, 0))  # two days waiting for the requester count for nothing
    comment_create(ticket=ticket, author=alice, body="Here is the log.")
    resumed = _resolution(ticket)
    assert not resumed.paused
    assert resumed.elapsed == timedelta(hours=3)
    # 13 of 16 hours left from Wednesday 15:00: 2 h on Wednesday, 8 on Thursday, 3 on Friday.
    assert resumed.due_at == berlin(2026, 3, 6, 12, 0)


def _pending_a_day(alice, bob, clock) -> Ticket:
    """An urgent ticket opened Monday 9:00, pending from 11:00; the clock moved to Tuesday 11:00."""
    clock.to(berlin(2026, 3, 2, 9, 0))
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    clock.to(berlin(2026, 3, 2, 11, 0))
    ticket_change_status(ticket=ticket, actor=bob, status=Status.PENDING)
    clock.to(berlin(2026, 3, 3, 11, 0))
    return ticket


def _vip_policy(*, resolution_hours: int) -> SlaPolicy:
    """A policy for tickets tagged vip, before every other."""
    vip = SlaPolicy.objects.create(name="VIP", position=1, conditions={"tag": "vip"})
    SlaTarget.objects.create(policy=vip, priority=Priority.URGENT, resolution_minutes=resolution_hours * 60)
    return vip


def test_pause_time_is_kept_across_a_policy_change_glpi_6902(alice, bob, policy, clock):
    ticket = _pending_a_day(alice, bob, clock)
    vip = _vip_policy(resolution_hours=8)
    ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(tags=["vip"]))
    still_paused = _resolution(ticket)
    assert still_paused.policy == vip and still_paused.paused and still_paused.elapsed == timedelta(hours=2)

    clock.to(berlin(2026, 3, 3, 14, 0))
    ticket_change_status(ticket=ticket, actor=bob, status=Status.OPEN)
    resumed = _resolution(ticket)
    # The day pending is not counted, and the two hours used under the old policy are: 6 h left of 8.
    assert resumed.elapsed == timedelta(hours=2)
    assert resumed.due_at == berlin(2026, 3, 4, 12, 0)


def test_a_new_priority_keeps_the_elapsed_time_and_takes_the_new_target(alice, bob, policy, clock):
    clock.to(berlin(2026, 3, 2, 9, 0))
    ticket = ticket_create(requester=alice, actor=bob, subject="Slow")
    assert SlaClock.objects.get(ticket=ticket, metric=Metric.FIRST_RESPONSE).due_at == berlin(2026, 3, 2, 17, 0)
    clock.to(berlin(2026, 3, 2, 11, 0))
    ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(priority=Priority.URGENT))
    first = SlaClock.objects.get(ticket=ticket, metric=Metric.FIRST_RESPONSE)
    assert first.elapsed == timedelta(hours=2) and first.target_minutes == 4 * 60
    assert first.due_at == berlin(2026, 3, 2, 13, 0)


def test_calendar_hours_count_around_the_clock(alice, bob, policy, clock):
    policy.targets.filter(priority=Priority.URGENT).update(business_hours=False)
    clock.to(berlin(2026, 3, 6, 16, 30))
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    first = SlaClock.objects.get(ticket=ticket, metric=Metric.FIRST_RESPONSE)
    assert first.calendar is None
    assert first.due_at == berlin(2026, 3, 6, 20, 30)


def test_resolving_meets_the_resolution_and_reopening_goes_on_from_the_time_used(alice, bob, policy, clock):
    clock.to(berlin(2026, 3, 2, 9, 0))
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    clock.to(berlin(2026, 3, 2, 10, 0))
    comment_create(ticket=ticket, author=bob, body="Fixed.")
    ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED)
    met = SlaClock.objects.get(ticket=ticket, metric=Metric.RESOLUTION)
    assert met.met_at == berlin(2026, 3, 2, 10, 0) and not SlaClock.objects.running().filter(ticket=ticket).exists()

    clock.to(berlin(2026, 3, 3, 9, 0))
    comment_create(ticket=ticket, author=alice, body="It is broken again.")
    again = _resolution(ticket)
    assert again.elapsed == timedelta(hours=1)
    assert again.due_at == berlin(2026, 3, 4, 16, 0)
    assert SlaClock.objects.running().get(ticket=ticket, metric=Metric.NEXT_RESPONSE).due_at == berlin(
        2026, 3, 3, 11, 0
    )


def test_a_missed_first_response_whose_priority_was_lowered_never_reads_overdue_by_a_negative_time(
    alice, bob, policy, clock
):
    clock.to(berlin(2026, 3, 2, 9, 0))
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    clock.to(berlin(2026, 3, 2, 13, 5))
    sla_sweep()  # the 4 h first response was missed at 13:00
    clock.to(berlin(2026, 3, 2, 14, 0))
    ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(priority=Priority.NORMAL))  # 8 h: due 17:00

    clocks = list(SlaClock.objects.running().filter(ticket=ticket).select_related("calendar"))
    due = next_due(clocks)
    assert due is not None and due.clock.metric == Metric.FIRST_RESPONSE
    assert due.state == "breached"
    assert "-" not in due.text, due.text  # not "First response overdue by -1d 21h"


def test_a_policy_that_comes_later_does_not_count_the_time_the_ticket_was_pending(alice, bob, office, clock):
    ticket = _pending_a_day(alice, bob, clock)
    ticket_change_status(ticket=ticket, actor=bob, status=Status.OPEN)
    clock.to(berlin(2026, 3, 3, 12, 0))
    _vip_policy(resolution_hours=16)
    ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(tags=["vip"]))

    started = _resolution(ticket)
    # Monday 9-11 and Tuesday 11-12 count; the day pending does not: 13 of 16 hours left.
    assert started.started_at == ticket.created_at and started.elapsed == timedelta(hours=3)
    assert started.due_at == berlin(2026, 3, 4, 17, 0)


def test_a_policy_that_comes_while_the_ticket_is_pending_counts_the_time_before_it_paused(alice, bob, office, clock):
    ticket = _pending_a_day(alice, bob, clock)
    _vip_policy(resolution_hours=16)
    ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(tags=["vip"]))

    paused = _resolution(ticket)
    assert paused.paused and paused.elapsed == timedelta(hours=2) and paused.due_at is None


def test_a_target_missed_just_before_the_ticket_went_pending_is_still_recorded_as_breached(alice, bob, policy, clock):
    clock.to(berlin(2026, 3, 2, 9, 0))  # urgent: first response due 13:00
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    clock.to(berlin(2026, 3, 2, 13, 0, 30))  # missed; the sweep (every minute) has not run yet
    ticket_change_status(ticket=ticket, actor=bob, status=Status.PENDING)
    clock.to(berlin(2026, 3, 2, 13, 1))
    sla_sweep()
    sla_sweep()

    breaches = Event.objects.filter(kind=EventKind.SLA_BREACHED, ticket=ticket)
    assert [event.payload["metric"] for event in breaches] == [Metric.FIRST_RESPONSE]
    first = SlaClock.objects.running().get(ticket=ticket, metric=Metric.FIRST_RESPONSE)
    assert first.paused and first.breached_at == berlin(2026, 3, 2, 13, 0)  # when it was missed, not when resumed


def test_a_resolution_missed_just_before_the_ticket_went_pending_stays_missed_when_it_is_resolved(
    alice, bob, policy, clock
):
    clock.to(berlin(2026, 3, 2, 9, 0))  # urgent: resolution due Tuesday 17:00
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    comment_create(ticket=ticket, author=bob, body="Looking into it.")
    clock.to(berlin(2026, 3, 3, 17, 0, 30))  # missed; the sweep has not run yet
    ticket_change_status(ticket=ticket, actor=bob, status=Status.PENDING)
    clock.to(berlin(2026, 3, 4, 10, 0))
    ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED)

    resolution = SlaClock.objects.get(ticket=ticket, metric=Metric.RESOLUTION)
    assert resolution.breached_at == berlin(2026, 3, 3, 17, 0)


def test_a_target_lowered_below_the_time_used_while_pending_is_missed_when_it_took_effect(alice, bob, policy, clock):
    ticket = _pending_a_day(alice, bob, clock)  # 2 h used before it went pending
    _vip_policy(resolution_hours=1)
    ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(tags=["vip"]))  # Tuesday 11:00: 1 h target
    clock.to(berlin(2026, 3, 3, 12, 0))
    ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED)

    resolution = SlaClock.objects.get(ticket=ticket, metric=Metric.RESOLUTION)
    assert resolution.breached_at == berlin(2026, 3, 3, 11, 0)


def test_a_policy_that_comes_after_a_reopen_does_not_count_the_days_the_ticket_was_resolved(alice, bob, office, clock):
    clock.to(berlin(2026, 3, 2, 9, 0))
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    clock.to(berlin(2026, 3, 2, 10, 0))
    ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED)
    clock.to(berlin(2026, 3, 5, 9, 0))  # Thursday: it is back
    comment_create(ticket=ticket, author=alice, body="It is broken again.")
    clock.to(berlin(2026, 3, 5, 10, 0))
    _vip_policy(resolution_hours=16)
    ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(tags=["vip"]))

    started = _resolution(ticket)
    # Monday 9-10 and Thursday 9-10 count, as they would have on a clock running all along (it stops at the
    # resolve and goes on at the reopen); the three days resolved do not.
    assert started.elapsed == timedelta(hours=2)
    assert started.due_at == berlin(2026, 3, 6, 16, 0) and started.breached_at is None  # 14 h left: 7 + 7


def test_a_tag_renamed_in_the_admin_takes_its_tickets_out_of_a_policy_naming_it(
    client_for, alice, bob, carol, office, django_capture_on_commit_callbacks
):
    """The ticket keeps the tag, under a name the policy no longer names: the policy's clock stops running."""
    vip = SlaPolicy.objects.create(name="VIP", position=1, conditions={"tag": "vip"})
    SlaTarget.objects.create(policy=vip, priority=Priority.NORMAL, first_response_minutes=60)
    ticket = ticket_create(requester=alice, subject="Down")
    ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(tags=["vip"]))
    assert running_policies(ticket) == {vip.pk}

    with django_capture_on_commit_callbacks(execute=True):
        client_for(carol).post(
            reverse("admin:tickets_tag_change", args=[Tag.objects.get(name="vip").pk]), {"name": "gold"}
        )

    assert vip.pk not in running_policies(ticket)


def test_a_tag_renamed_while_the_broker_is_down_takes_its_tickets_out_of_the_policy_through_the_sweep(
    client_for, alice, bob, carol, office, clock, django_capture_on_commit_callbacks
):
    """The rename's refresh is a request like an admin's policy change: bounded per run, and kept until served."""
    clock.to(berlin(2026, 3, 2, 9, 0))
    vip = SlaPolicy.objects.create(name="VIP", position=1, conditions={"tag": "vip"})
    SlaTarget.objects.create(policy=vip, priority=Priority.NORMAL, first_response_minutes=60)
    ticket = ticket_create(requester=alice, subject="Down")
    ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(tags=["vip"]))

    with pytest.MonkeyPatch.context() as broker_down, django_capture_on_commit_callbacks(execute=True):
        broker_down.setattr(sla_refresh_open_tickets, "apply_async", refuse)
        client_for(carol).post(
            reverse("admin:tickets_tag_change", args=[Tag.objects.get(name="vip").pk]), {"name": "gold"}
        )
    assert running_policies(ticket) == {vip.pk}  # the worker never heard of it
    assert SlaRefreshRequest.objects.exists()

    clock.to(berlin(2026, 3, 2, 9, 11))  # overdue: EVENT_REDELIVER_AFTER_SECONDS + CELERY_TASK_TIME_LIMIT
    sla_sweep()
    assert vip.pk not in running_policies(ticket)
    assert not SlaRefreshRequest.objects.exists()


def running_policies(ticket: Ticket) -> set[int]:
    return set(SlaClock.objects.filter(ticket=ticket).running().values_list("policy_id", flat=True))
