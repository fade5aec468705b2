"""Teams working a calendar's hours, linked on the calendar's admin page (the TeamCalendar inline)."""

from __future__ import annotations

from django.urls import reverse

from sla.admin import TeamCalendarForm
from sla.models import BusinessCalendar, TeamCalendar
from tests.sla.conftest import calendar_form, team_link_errors
from tickets.models import Team


def test_an_admin_links_a_team_to_a_calendar(carol, client_for):
    night_shift = BusinessCalendar.objects.create(name="Night shift", time_zone="Europe/Berlin")
    tier2 = Team.objects.create(name="Tier 2")

    response = client_for(carol).post(
        reverse("admin:sla_businesscalendar_change", args=[night_shift.pk]), calendar_form(night_shift, tier2)
    )

    assert response.status_code == 302
    assert TeamCalendar.objects.get().team == tier2


def test_a_team_linked_to_a_calendar_while_it_is_deleted_is_refused_on_the_field_and_nothing_is_linked(
    monkeypatch, carol, client_for
):
    """The form read the team; another admin's deletion committed before the save did. The link failed at commit on
    its foreign key, a 500 (tests/tickets/test_concurrent_edits_postgres.py races the two for real)."""
    night_shift = BusinessCalendar.objects.create(name="Night shift", time_zone="Europe/Berlin")
    tier2 = Team.objects.create(name="Tier 2")
    validated = TeamCalendar.clean

    def deleted_once_validated(link: TeamCalendar) -> None:
        validated(link)
        Team.objects.filter(pk=tier2.pk).delete()  # by another admin, after the form read it

    monkeypatch.setattr(TeamCalendar, "clean", deleted_once_validated)

    response = client_for(carol).post(
        reverse("admin:sla_businesscalendar_change", args=[night_shift.pk]), calendar_form(night_shift, tier2)
    )

    assert response.status_code == 200
    assert team_link_errors(response) == [{"team": ["This team no longer exists."]}]
    assert not TeamCalendar.objects.exists()


def test_an_admin_adds_a_calendar_with_a_team_linked_in_the_same_save(carol, client_for):
    """The link's calendar has no id yet while the page is checked: nothing to keep, and no "no longer exists"."""
    tier2 = Team.objects.create(name="Tier 2")
    new = BusinessCalendar(name="Night shift", time_zone="Europe/Berlin")

    response = client_for(carol).post(reverse("admin:sla_businesscalendar_add"), calendar_form(new, tier2))

    assert response.status_code == 302
    assert TeamCalendar.objects.get().calendar == BusinessCalendar.objects.get(name="Night shift")


def test_an_admin_removes_a_teams_link_on_the_calendars_page(carol, client_for):
    night_shift = BusinessCalendar.objects.create(name="Night shift", time_zone="Europe/Berlin")
    link = TeamCalendar.objects.create(team=Team.objects.create(name="Tier 2"), calendar=night_shift)
    form = {
        **calendar_form(night_shift, link.team),
        "team_links-INITIAL_FORMS": "1",
        "team_links-0-id": link.pk,
        "team_links-0-DELETE": "on",
    }

    response = client_for(carol).post(reverse("admin:sla_businesscalendar_change", args=[night_shift.pk]), form)

    assert response.status_code == 302
    assert not TeamCalendar.objects.exists()
    assert Team.objects.filter(name="Tier 2").exists()


def test_a_team_linked_to_another_calendar_meanwhile_is_refused_on_the_page_and_nothing_is_saved(
    monkeypatch, carol, client_for
):
    """The form found the team free (its unique check); another admin's link of it to another calendar committed
    before this save did. The insert failed on the team's unique key: a 500.

    The other link is made once this form's unique check has passed, in the same place a concurrent commit lands;
    on PostgreSQL the insert would wait for the other transaction and then fail alike."""
    night_shift = BusinessCalendar.objects.create(name="Night shift", time_zone="Europe/Berlin")
    weekend = BusinessCalendar.objects.create(name="Weekend", time_zone="Europe/Berlin")
    tier2 = Team.objects.create(name="Tier 2")
    checked = TeamCalendarForm.validate_unique

    def linked_elsewhere_once_checked(form: TeamCalendarForm) -> None:
        checked(form)
        TeamCalendar.objects.create(team=tier2, calendar=weekend)  # by another admin, after the form checked

    monkeypatch.setattr(TeamCalendarForm, "validate_unique", linked_elsewhere_once_checked)
    url = reverse("admin:sla_businesscalendar_change", args=[night_shift.pk])
    form = {**calendar_form(night_shift, tier2), "name": "Night shift (EU)"}

    response = client_for(carol).post(url, form, follow=True)

    assert response.status_code == 200 and response.redirect_chain == [(url, 302)]
    (shown,) = (str(message) for message in response.context["messages"])
    assert shown == (
        "The team was linked to another calendar meanwhile. "
        "The team “Tier 2” already has a business calendar: “Weekend”."
    )
    # The other admin's link, made here inside this request's transaction, went with its rollback.
    assert not TeamCalendar.objects.filter(calendar=night_shift).exists()
    assert BusinessCalendar.objects.get(pk=night_shift.pk).name == "Night shift"  # nothing of the save
