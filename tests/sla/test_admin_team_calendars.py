"""Teams working a calendar's hours, linked on the calendar's admin page (the TeamCalendar inline)."""

from __future__ import annotations

from django.urls import reverse

from sla.admin import TeamCalendarForm
from sla.models import BusinessCalendar, TeamCalendar
from tests.sla.conftest import calendar_form, team_link_errors
from tests.support.admin import deleted_once_validated
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
    deleted_once_validated(monkeypatch, TeamCalendar, tier2)

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
    linked_elsewhere_once_checked(monkeypatch, tier2, weekend)
    url = reverse("admin:sla_businesscalendar_change", args=[night_shift.pk])
    form = {**calendar_form(night_shift, tier2), "name": "Night shift (EU)"}

    response = client_for(carol).post(url, form)

    assert_refused_with_the_input_kept(response, name="Night shift (EU)", team=tier2)
    assert not TeamCalendar.objects.filter(calendar=night_shift).exists()
    assert BusinessCalendar.objects.get(pk=night_shift.pk).name == "Night shift"  # nothing of the save


def test_a_team_linked_to_another_calendar_meanwhile_is_refused_on_the_add_page_and_nothing_is_saved(
    monkeypatch, carol, client_for
):
    weekend = BusinessCalendar.objects.create(name="Weekend", time_zone="Europe/Berlin")
    tier2 = Team.objects.create(name="Tier 2")
    linked_elsewhere_once_checked(monkeypatch, tier2, weekend)
    form = calendar_form(BusinessCalendar(name="Night shift", time_zone="Asia/Tokyo"), tier2)

    response = client_for(carol).post(reverse("admin:sla_businesscalendar_add"), form)

    assert_refused_with_the_input_kept(response, name="Night shift", team=tier2)
    assert response.context["adminform"].form["time_zone"].value() == "Asia/Tokyo"
    assert not BusinessCalendar.objects.filter(name="Night shift").exists()  # nothing of the save


def linked_elsewhere_once_checked(monkeypatch, team: Team, calendar: BusinessCalendar) -> None:
    """Another admin links `team` to `calendar` once this page's unique check of the link found the team free."""
    checked = TeamCalendarForm.validate_unique

    def linked(form: TeamCalendarForm) -> None:
        checked(form)
        TeamCalendar.objects.get_or_create(team=team, calendar=calendar)

    monkeypatch.setattr(TeamCalendarForm, "validate_unique", linked)


def assert_refused_with_the_input_kept(response, *, name: str, team: Team) -> None:
    """The page is shown again (not a redirect to it, which showed it empty or as stored), with what the admin typed
    and linked, and the refusal once: above the form, where the save can be tried again (it names the link's team,
    no field of the page's form, so not next to one), not again at the top of the page."""
    assert response.status_code == 200
    refusal = "The team was linked to another calendar meanwhile."
    reason = f"The team “{team}” already has a business calendar: “Weekend”."
    assert [str(message) for message in response.context["messages"]] == []
    form = response.context["adminform"].form
    assert form.non_field_errors() == [f"{refusal} {reason}"]
    assert response.text.count(reason) == 1
    assert form["name"].value() == name
    (links,) = (
        inline.formset for inline in response.context["inline_admin_formsets"] if inline.formset.prefix == "team_links"
    )
    assert [link["team"].value() for link in links.forms] == [str(team.pk)]
