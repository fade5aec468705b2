"""Admins set opening hours and policies in the admin; a policy's conditions are the ticket filters."""

from __future__ import annotations

from django.urls import reverse

from sla.models import BusinessCalendar, SlaPolicy


def _policy_form(conditions: str) -> dict[str, str]:
    return {
        "name": "Urgent",
        "position": "1",
        "is_active": "on",
        "conditions": conditions,
        "targets-TOTAL_FORMS": "1",
        "targets-INITIAL_FORMS": "0",
        "targets-0-priority": "40",
        "targets-0-first_response_minutes": "240",
        "targets-0-business_hours": "on",
    }


def test_an_admin_adds_a_policy_with_conditions_and_a_target(carol, client_for, db):
    response = client_for(carol).post(reverse("admin:sla_slapolicy_add"), _policy_form('{"priority": "urgent"}'))
    assert response.status_code == 302
    policy = SlaPolicy.objects.get()
    assert policy.conditions == {"priority": "urgent"}
    assert policy.targets.get().first_response_minutes == 240


def test_unknown_or_invalid_conditions_are_refused_with_their_names(carol, client_for, db):
    client = client_for(carol)
    for conditions, expected in [
        ('{"colour": "red", "sla": "breached"}', ["colour: Unknown condition.", "sla: This condition cannot"]),
        ('{"priority": "extreme"}', ["priority: Select a valid choice."]),
    ]:
        response = client.post(reverse("admin:sla_slapolicy_add"), _policy_form(conditions))
        assert response.status_code == 200
        errors = " ".join(response.context["adminform"].form.errors["conditions"])
        assert all(message in errors for message in expected), errors
    assert not SlaPolicy.objects.exists()


def test_a_calendar_refuses_an_unknown_time_zone_or_holiday_region(carol, client_for, db):
    form = {
        "name": "Munich",
        "time_zone": "Europe/Munich",
        "holiday_country": "DE",
        "holiday_region": "XX",
        **{f"{name}-TOTAL_FORMS": "0" for name in ("opening_hours", "special_days", "team_links")},
        **{f"{name}-INITIAL_FORMS": "0" for name in ("opening_hours", "special_days", "team_links")},
    }
    response = client_for(carol).post(reverse("admin:sla_businesscalendar_add"), form)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "time_zone" in errors and "holiday_region" in errors
    assert not BusinessCalendar.objects.filter(name="Munich").exists()


def test_mallory_and_bob_cannot_edit_policies(mallory, bob, client_for, db):
    assert client_for(mallory).get(reverse("admin:sla_slapolicy_changelist")).status_code == 302
    assert client_for(bob).get(reverse("admin:sla_slapolicy_changelist")).status_code == 403
