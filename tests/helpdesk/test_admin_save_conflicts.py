"""A save that passed its page's unique checks but fails on the key itself, because another admin's save committed
in between, is an error message on the same page with nothing of it saved: before, the IntegrityError was a 500.
The page is shown again with what the admin typed, not emptied by a redirect to it.

SQLite takes one writer at a time, so the race cannot run here: the other admin's row is saved before the request
and the page's check of that field made to find it free, as it did when it ran before that commit.
tests/tickets/test_concurrent_edits_postgres.py races two connections for real."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from django.contrib import admin
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.urls import reverse

import accounts.admin
from accounts.models import User
from helpdesk.admin_site import unique_conflict_refusal
from sla.models import BusinessCalendar, SpecialDay
from tests.sla.conftest import calendar_form
from tests.support.admin import shown_messages
from tickets.models import Team

NOTHING_SAVED = "Nothing was saved; check the values and save again."
CONFLICT = f"This could not be saved: another change saved meanwhile conflicts with it. {NOTHING_SAVED}"


def checked_before_the_other_save(monkeypatch: pytest.MonkeyPatch, model: type[Model], field: str) -> None:
    """The page's unique checks (fields and constraints) of `field` ran before the other admin's save committed."""
    unique, constraints = model.validate_unique, model.validate_constraints
    monkeypatch.setattr(model, "validate_unique", lambda row, exclude=None: unique(row, {*(exclude or ()), field}))
    monkeypatch.setattr(
        model, "validate_constraints", lambda row, exclude=None: constraints(row, {*(exclude or ()), field})
    )


def typed_values(response, *names: str) -> dict[str, object]:
    """What the page's form shows in these fields: what was sent, for a form bound to the request."""
    form = response.context["adminform"].form
    return {name: form[name].value() for name in names}


def form_errors(response) -> list[str]:
    return [str(message) for messages_ in response.context["adminform"].form.errors.values() for message in messages_]


def test_a_calendar_named_alike_by_another_admin_meanwhile_is_refused_on_the_add_page(
    monkeypatch, caplog, carol, client_for
):
    theirs = BusinessCalendar.objects.create(name="Night shift", time_zone="Europe/Berlin")
    checked_before_the_other_save(monkeypatch, BusinessCalendar, "name")
    url = reverse("admin:sla_businesscalendar_add")

    with caplog.at_level(logging.WARNING, logger="helpdesk.admin_site"):
        response = client_for(carol).post(
            url,
            {
                **calendar_form(BusinessCalendar(name="Night shift", time_zone="UTC")),
                "holiday_country": "DE",
                "holiday_region": "BY",
            },
        )

    assert response.status_code == 200
    assert shown_messages(response) == [f"{CONFLICT} Business calendar with this Name already exists."]
    assert response.context["adminform"].form.errors == {"name": ["Business calendar with this Name already exists."]}
    assert typed_values(response, "name", "time_zone", "holiday_country", "holiday_region") == {
        "name": "Night shift",
        "time_zone": "UTC",
        "holiday_country": "DE",
        "holiday_region": "BY",
    }
    assert 'value="BY"' in response.text  # on the page the admin sees, not only in its form
    assert list(BusinessCalendar.objects.filter(name="Night shift").values_list("pk", "time_zone")) == [
        (theirs.pk, "Europe/Berlin")
    ]
    (logged,) = (record for record in caplog.records if record.name == "helpdesk.admin_site")
    assert logged.levelno == logging.WARNING and logged.exc_info is not None


def test_a_second_default_calendar_made_by_another_admin_meanwhile_is_refused_on_the_change_page(
    monkeypatch, carol, client_for
):
    BusinessCalendar.objects.all().delete()  # the office hours the migrations make the default
    theirs = BusinessCalendar.objects.create(name="Berlin office", time_zone="Europe/Berlin", is_default=True)
    mine = BusinessCalendar.objects.create(name="Night shift", time_zone="Europe/Berlin")
    checked_before_the_other_save(monkeypatch, BusinessCalendar, "is_default")
    url = reverse("admin:sla_businesscalendar_change", args=[mine.pk])
    form = {**calendar_form(mine), "name": "Nights", "is_default": "on"}

    response = client_for(carol).post(url, form)

    assert response.status_code == 200
    assert shown_messages(response) == [f"{CONFLICT} Business calendar with this Default already exists."]
    assert typed_values(response, "name", "is_default") == {"name": "Nights", "is_default": True}
    mine.refresh_from_db()
    assert (mine.name, mine.is_default) == ("Night shift", False)  # nothing of the save
    assert BusinessCalendar.objects.get(is_default=True) == theirs


def test_a_team_named_alike_by_another_admin_meanwhile_is_refused_on_the_change_page(monkeypatch, carol, client_for):
    theirs = Team.objects.create(name="Escalations")
    mine = Team.objects.create(name="Tier 2")
    checked_before_the_other_save(monkeypatch, Team, "name")
    url = reverse("admin:tickets_team_change", args=[mine.pk])

    response = client_for(carol).post(url, {"name": "Escalations"})

    assert response.status_code == 200
    assert typed_values(response, "name") == {"name": "Escalations"}
    assert shown_messages(response) == [f"{CONFLICT} Team with this Name already exists."]
    assert sorted(Team.objects.values_list("pk", "name")) == sorted([(theirs.pk, "Escalations"), (mine.pk, "Tier 2")])


def test_a_special_day_added_by_another_admin_meanwhile_is_refused_once_above_the_form(monkeypatch, carol, client_for):
    """The key is over two fields (the calendar and the date), so the refusal names none: it is said once, above the
    form where Django says what no field is wrong about, not again at the top of the page."""
    mine = BusinessCalendar.objects.create(name="Night shift", time_zone="Europe/Berlin")
    SpecialDay.objects.create(calendar=mine, date="2026-12-24", name="Christmas Eve")
    checked_before_the_other_save(monkeypatch, SpecialDay, "date")
    form = {
        **calendar_form(mine),
        "name": "Nights",
        "special_days-TOTAL_FORMS": "1",
        "special_days-0-calendar": mine.pk,
        "special_days-0-date": "2026-12-24",
        "special_days-0-name": "Holy night",
    }

    response = client_for(carol).post(reverse("admin:sla_businesscalendar_change", args=[mine.pk]), form)

    assert response.status_code == 200
    conflict = "Special day with this Calendar and Date already exists."
    assert response.text.count(conflict) == 1
    assert response.text.count(NOTHING_SAVED) == 1
    assert shown_messages(response) == []
    assert response.context["adminform"].form.non_field_errors() == [f"{CONFLICT} {conflict}"]
    assert typed_values(response, "name") == {"name": "Nights"}
    assert list(SpecialDay.objects.values_list("calendar", "name")) == [(mine.pk, "Christmas Eve")]
    assert BusinessCalendar.objects.get(pk=mine.pk).name == "Night shift"


def test_a_refused_save_whose_page_cannot_be_shown_again_says_its_refusal_at_the_top(monkeypatch, carol, client_for):
    """The calendar is found gone (as if another admin deleted it) when the refused save's page is shown again: no
    form is left to say the refusal above, so the page Django leads to says it at its top."""
    mine = BusinessCalendar.objects.create(name="Night shift", time_zone="Europe/Berlin")
    SpecialDay.objects.create(calendar=mine, date="2026-12-24", name="Christmas Eve")
    checked_before_the_other_save(monkeypatch, SpecialDay, "date")
    model_admin = admin.site._registry[BusinessCalendar]
    found = model_admin.get_object
    looked_up = []

    def gone_once_refused(request, object_id, from_field=None):
        looked_up.append(object_id)
        return found(request, object_id, from_field) if len(looked_up) == 1 else None

    monkeypatch.setattr(model_admin, "get_object", gone_once_refused)
    form = {
        **calendar_form(mine),
        "special_days-TOTAL_FORMS": "1",
        "special_days-0-calendar": mine.pk,
        "special_days-0-date": "2026-12-24",
    }

    response = client_for(carol).post(reverse("admin:sla_businesscalendar_change", args=[mine.pk]), form, follow=True)

    assert f"{CONFLICT} Special day with this Calendar and Date already exists." in shown_messages(response)


def test_a_save_failing_on_a_not_null_column_is_still_an_error_with_its_traceback_not_a_conflict(
    monkeypatch, caplog, carol, client_for
):
    """Only a unique key can be taken by another save meanwhile: any other IntegrityError is a bug in what the admin
    saves, and a message blaming another change would hide it."""
    mine = Team.objects.create(name="Tier 2")
    model_admin = admin.site._registry[Team]

    def save_model_with_a_bug(request, obj, form, change) -> None:
        obj.name = None
        obj.save()

    monkeypatch.setattr(model_admin, "save_model", save_model_with_a_bug)

    with pytest.raises(IntegrityError), caplog.at_level(logging.WARNING, logger="helpdesk.admin_site"):
        client_for(carol).post(reverse("admin:tickets_team_change", args=[mine.pk]), {"name": "Tier 3"})

    assert [record for record in caplog.records if record.name == "helpdesk.admin_site"] == []
    assert Team.objects.get(pk=mine.pk).name == "Tier 2"


def integrity_error_of(save: Callable[[], object]) -> IntegrityError:
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        save()
    return raised.value


def test_a_key_on_a_lower_cased_email_is_named_by_the_field_it_lower_cases(alice):
    error = integrity_error_of(lambda: User.objects.create(email=alice.email.upper(), name="Alice again"))

    refusal = unique_conflict_refusal(error)

    assert (refusal.message, refusal.details) == (CONFLICT, {"email": ["User with this Email already exists."]})


def test_a_not_null_column_is_no_unique_conflict(db):
    error = integrity_error_of(lambda: Team.objects.create(name=None))

    refusal = unique_conflict_refusal(error)

    assert (refusal.message, refusal.details) == (CONFLICT, {})


def test_a_many_to_many_link_made_twice_is_named_by_its_two_ends(bob):
    team = Team.objects.create(name="Escalations")
    team.members.add(bob)
    link = Team.members.through

    error = integrity_error_of(lambda: link.objects.create(team=team, user=bob))

    assert unique_conflict_refusal(error).details == {
        "__all__": ["Team-user relationship with this Team and User already exists."]
    }


def test_an_email_taken_by_another_admin_meanwhile_is_refused_next_to_the_email_field(
    monkeypatch, carol, client_for, bob
):
    """The key is on the lower-cased address, an expression: the conflict was "another user has the same values",
    above the form, naming no field."""
    saved = accounts.admin.user_update

    def saved_once_theirs_committed(**fields: object) -> User:
        User.objects.create_user("dana@example.com", name="Dana")  # by another admin, after this page validated
        return saved(**fields)

    monkeypatch.setattr(accounts.admin, "user_update", saved_once_theirs_committed)

    response = client_for(carol).post(
        reverse("admin:accounts_user_change", args=[bob.pk]),
        {"email": "Dana@Example.com", "name": "Bob again", "role": bob.role, "is_active": "on"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"email": ["User with this Email already exists."]}
    assert shown_messages(response) == [
        f"This could not be saved: another change saved meanwhile conflicts with it. {NOTHING_SAVED} "
        "User with this Email already exists."
    ]
    assert typed_values(response, "email", "name") == {"email": "Dana@Example.com", "name": "Bob again"}
    bob_then = User.objects.get(pk=bob.pk)
    assert (bob_then.email, bob_then.name) == (bob.email, bob.name)
