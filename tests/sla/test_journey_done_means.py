"""The issue's "done means", end to end: an admin sets opening hours and a 4-business-hour urgent policy; an urgent
ticket arrives on Friday at 16:30; the queue shows it due on Monday; it is assigned round-robin; the agent gets a
warning at 75 % and nobody is mailed over the weekend; once resolved, the requester rates it.

The issue says "due Monday 11:30" for a 9-17 calendar. Four business hours from Friday 16:30 are 30 minutes on
Friday and 3 h 30 on Monday: due at 12:30. 11:30 is when 75 % (3 h) is used, the moment of the warning; both are
asserted below.
"""

from __future__ import annotations

import re

import time_machine
from django.core import mail
from django.urls import reverse

from accounts.models import Role
from accounts.services import user_create
from csat.models import SatisfactionSurvey
from sla.models import BusinessCalendar, SlaPolicy
from sla.services import sla_sweep
from tests.sla.conftest import berlin
from tickets.models import Status, Ticket
from tickets.services import ticket_change_status


def _calendar_form(calendar: BusinessCalendar) -> dict[str, str]:
    """The admin's change form for the default calendar: Berlin, German holidays, Monday to Friday 9-17."""
    hours = list(calendar.opening_hours.order_by("weekday"))
    form = {"name": "Berlin office", "time_zone": "Europe/Berlin", "holiday_country": "DE", "is_default": "on"}
    form |= {"opening_hours-TOTAL_FORMS": str(len(hours)), "opening_hours-INITIAL_FORMS": str(len(hours))}
    for index, row in enumerate(hours):
        prefix = f"opening_hours-{index}-"
        form |= {
            f"{prefix}id": str(row.pk),
            f"{prefix}calendar": str(calendar.pk),
            f"{prefix}weekday": str(row.weekday),
        }
        form |= {f"{prefix}opens": "09:00", f"{prefix}closes": "17:00"}
    for inline in ("special_days", "team_links"):
        form |= {f"{inline}-TOTAL_FORMS": "0", f"{inline}-INITIAL_FORMS": "0"}
    return form


def _sweep(capture) -> None:
    with capture(execute=True):
        sla_sweep()


def test_done_means_urgent_friday_ticket_due_monday_round_robin_warning_no_weekend_mail_and_a_rating(
    carol, bob, alice, team, client_for, api_client_for, django_capture_on_commit_callbacks
):
    dave = user_create(email="dave@example.com", password="x-password-1", name="Dave Agent", role=Role.AGENT)
    team.members.add(dave)
    admin = client_for(carol)
    with time_machine.travel(berlin(2026, 3, 20, 10, 0), tick=False) as traveller:
        # The admin sets opening hours and the policy in the admin, and round-robin assignment through the API.
        calendar = BusinessCalendar.objects.get(is_default=True)
        change = admin.post(reverse("admin:sla_businesscalendar_change", args=[calendar.pk]), _calendar_form(calendar))
        assert change.status_code == 302
        policy = admin.post(
            reverse("admin:sla_slapolicy_add"),
            {
                "name": "Urgent: 4 business hours to first response",
                "position": "1",
                "is_active": "on",
                "conditions": '{"priority": "urgent"}',
                "targets-TOTAL_FORMS": "1",
                "targets-INITIAL_FORMS": "0",
                "targets-0-priority": "40",
                "targets-0-first_response_minutes": "240",
                "targets-0-business_hours": "on",
            },
        )
        assert policy.status_code == 302 and SlaPolicy.objects.count() == 1
        rule = api_client_for(carol).post(
            "/api/v1/automation/rules/",
            {"name": "Round-robin", "trigger": "ticket_created", "assign": "round_robin"},
            format="json",
        )
        assert rule.status_code == 201

        # Friday 16:30: an urgent ticket arrives (an agent opens it for Alice through the API).
        traveller.move_to(berlin(2026, 3, 27, 16, 30))
        with django_capture_on_commit_callbacks(execute=True):
            created = api_client_for(bob).post(
                "/api/v1/tickets/",
                {"subject": "Checkout is down", "requester": alice.pk, "priority": "urgent", "team": team.pk},
                format="json",
            )
        assert created.status_code == 201
        ticket = Ticket.objects.get(pk=created.json()["id"])
        assert ticket.assignee == bob  # round-robin: the team's first available agent
        staff = client_for(bob)
        queue = staff.get(reverse("staff_queue")).content.decode()
        assert "First response due in 2d 19h" in queue  # not 20 h: the clocks go forward on Sunday
        page = staff.get(reverse("staff_ticket_detail", args=[ticket.pk])).content.decode()
        assert "Mon 30 Mar, 12:30 CEST" in page
        mail.outbox.clear()

        # The week-end: the worker sweeps every minute; nobody hears anything.
        for moment in (berlin(2026, 3, 27, 17, 0), berlin(2026, 3, 28, 3, 0), berlin(2026, 3, 29, 15, 0)):
            traveller.move_to(moment)
            _sweep(django_capture_on_commit_callbacks)
        traveller.move_to(berlin(2026, 3, 30, 11, 29))
        _sweep(django_capture_on_commit_callbacks)
        assert mail.outbox == []

        # Monday 11:30: three of the four hours are used. The assignee is warned, and only the assignee.
        traveller.move_to(berlin(2026, 3, 30, 11, 30))
        _sweep(django_capture_on_commit_callbacks)
        assert [(m.to, m.subject) for m in mail.outbox] == [
            ([bob.email], f"[#{ticket.pk}] First response due soon: Checkout is down")
        ]
        assert "Mon 30 Mar 2026, 12:30 Europe/Berlin" in mail.outbox[0].body  # the moment the page shows
        mail.outbox.clear()

        # Bob answers in time and resolves it; Alice is asked, and rates it from the mail.
        traveller.move_to(berlin(2026, 3, 30, 12, 0))
        with django_capture_on_commit_callbacks(execute=True):
            staff.post(
                reverse("staff_ticket_reply", args=[ticket.pk]), {"body": "Fixed: a full disk.", "mode": "reply"}
            )
            ticket.refresh_from_db()
            ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED)
        survey_mail = next(m for m in mail.outbox if m.to == [alice.email] and "How did we do?" in m.subject)
        good = re.search(r"^Good:\s+http://[^/]+(\S+)$", survey_mail.body, flags=re.MULTILINE).group(1)
        requester = client_for(None)
        confirm = requester.get(good)
        action = re.search(r'action="([^"]+)"', confirm.content.decode()).group(1)
        requester.post(action, {"rating": "good", "comment": "Quick, thanks."})
        assert "Rated good" in staff.get(reverse("staff_queue"), {"view": "solved"}).content.decode()

    assert SatisfactionSurvey.objects.get(ticket=ticket).rating == "good"
    first = ticket.sla_clocks.get(metric="first_response")
    assert first.met_at == berlin(2026, 3, 30, 12, 0) and first.breached_at is None
