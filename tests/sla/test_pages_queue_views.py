"""The queue's Breached and Due soon views, and the due time on each row, red when breached."""

from __future__ import annotations

from django.urls import reverse

from sla.models import BusinessCalendar
from tests.sla.conftest import berlin
from tickets.models import Priority, Status
from tickets.services import ticket_change_status, ticket_create


def test_the_breached_and_due_soon_views_list_only_their_tickets(alice, bob, policy, clock, client_for):
    clock.to(berlin(2026, 3, 2, 9, 0))
    late = ticket_create(requester=alice, actor=bob, subject="Late one", priority=Priority.URGENT)
    clock.to(berlin(2026, 3, 2, 11, 0))
    soon = ticket_create(requester=alice, actor=bob, subject="Soon one", priority=Priority.URGENT)
    clock.to(berlin(2026, 3, 2, 14, 30))
    client = client_for(bob)

    breached = client.get(reverse("staff_queue"), {"sla": "breached"}).content.decode()
    assert late.subject in breached and soon.subject not in breached
    assert '<span class="sla sla-breached">First response overdue by 1h 30m</span>' in breached
    due_soon = client.get(reverse("staff_queue"), {"sla": "due_soon"}).content.decode()
    assert soon.subject in due_soon and late.subject not in due_soon
    assert '<span class="sla sla-due-soon">First response due in 30m</span>' in due_soon
    assert 'href="?view=breached"' in client.get(reverse("staff_queue")).content.decode()
    assert late.subject in client.get(reverse("staff_queue"), {"view": "breached"}).content.decode()


def test_a_paused_clock_shows_the_time_left(alice, bob, policy, clock, client_for):
    clock.to(berlin(2026, 3, 2, 9, 0))
    ticket = ticket_create(requester=alice, actor=bob, subject="Waiting", priority=Priority.URGENT)
    clock.to(berlin(2026, 3, 2, 10, 0))
    ticket_change_status(ticket=ticket, actor=bob, status=Status.PENDING)
    page = client_for(bob).get(reverse("staff_ticket_detail", args=[ticket.pk])).content.decode()
    assert "First response paused, 3h left" in page


def test_requesters_never_see_sla_due_times(alice, bob, policy, clock, client_for):
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    page = client_for(alice).get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert "due in" not in page and "sla-" not in page


def test_a_due_time_in_a_calendar_whose_zone_the_tz_database_dropped_is_shown_in_the_sites_zone(
    alice, bob, policy, office, clock, client_for, settings
):
    settings.TIME_ZONE = "Europe/Berlin"
    clock.to(berlin(2026, 3, 2, 9, 0))
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    BusinessCalendar.objects.filter(pk=office.pk).update(time_zone="US/Pacific-New")  # removed in tz 2020b

    response = client_for(bob).get(reverse("staff_ticket_detail", args=[ticket.pk]))

    assert response.status_code == 200
    assert "Mon 2 Mar, 13:00 CET" in response.content.decode()
