"""The first-response clock: started with the ticket, due in business hours, met by staff's first public reply."""

from __future__ import annotations

from sla.models import BusinessCalendar, Metric, SlaClock
from tests.sla.conftest import berlin
from tickets.models import Priority
from tickets.services import comment_create, ticket_create


def test_an_urgent_ticket_on_friday_afternoon_is_due_on_monday(alice, bob, policy, clock):
    clock.to(berlin(2026, 3, 27, 16, 30))
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    first = SlaClock.objects.get(ticket=ticket, metric=Metric.FIRST_RESPONSE)
    # 30 minutes on Friday and 3 h 30 on Monday (the clocks go forward on the Sunday in between).
    assert first.due_at == berlin(2026, 3, 30, 12, 30)
    assert first.warn_at == berlin(2026, 3, 30, 11, 30)  # 75 % of four hours
    assert first.policy == policy


def test_a_staff_reply_meets_the_first_response_and_records_when(alice, bob, policy, clock):
    clock.to(berlin(2026, 3, 2, 10, 0))
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    clock.to(berlin(2026, 3, 2, 11, 0))
    comment_create(ticket=ticket, author=alice, body="Anyone?")
    clock.to(berlin(2026, 3, 2, 12, 0))
    comment_create(ticket=ticket, author=bob, body="Note to self", internal=True)
    assert SlaClock.objects.running().filter(ticket=ticket, metric=Metric.FIRST_RESPONSE).exists()
    clock.to(berlin(2026, 3, 2, 13, 0))
    comment_create(ticket=ticket, author=bob, body="On it.")
    first = SlaClock.objects.get(ticket=ticket, metric=Metric.FIRST_RESPONSE)
    assert first.met_at == berlin(2026, 3, 2, 13, 0)
    assert first.stopped_at == berlin(2026, 3, 2, 13, 0)
    assert first.breached_at is None


def test_a_late_first_response_is_recorded_as_breached_at_its_due_time(alice, bob, policy, clock):
    clock.to(berlin(2026, 3, 2, 9, 0))
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    clock.to(berlin(2026, 3, 3, 9, 0))
    comment_create(ticket=ticket, author=bob, body="Sorry for the wait.")
    first = SlaClock.objects.get(ticket=ticket, metric=Metric.FIRST_RESPONSE)
    assert first.breached_at == berlin(2026, 3, 2, 13, 0)
    assert first.met_at == berlin(2026, 3, 3, 9, 0)


def test_a_ticket_no_policy_matches_gets_no_clock(alice, bob, policy, clock):
    policy.conditions = {"tag": "vip"}
    policy.save()
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    assert not SlaClock.objects.filter(ticket=ticket).exists()


def test_a_calendar_with_no_open_time_saves_the_ticket_and_leaves_the_clock_without_a_due_time(
    alice, bob, policy, office, clock
):
    office.opening_hours.all().delete()
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    first = SlaClock.objects.get(ticket=ticket, metric=Metric.FIRST_RESPONSE)
    assert (first.due_at, first.warn_at, first.next_check_at) == (None, None, None)


# Removed from the tz database in 2020b: a calendar saved before then may still hold it.
DROPPED_ZONE = "US/Pacific-New"


def test_a_calendar_whose_zone_the_tz_database_dropped_counts_in_the_sites_zone(
    alice, bob, policy, office, clock, settings
):
    """Its validation let the name in while the tz database had it; opening it failed every ticket's save."""
    settings.TIME_ZONE = "Europe/Berlin"
    BusinessCalendar.objects.filter(pk=office.pk).update(time_zone=DROPPED_ZONE)
    clock.to(berlin(2026, 3, 2, 10, 0))

    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)

    first = SlaClock.objects.get(ticket=ticket, metric=Metric.FIRST_RESPONSE)
    assert first.due_at == berlin(2026, 3, 2, 14, 0)  # 9-17 in the site's zone, as a person's dropped zone is read
