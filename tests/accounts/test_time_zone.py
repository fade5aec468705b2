"""Each person picks their time zone on an account page; their pages then tell times in it, others' in the site's."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.urls import reverse

from accounts.models import User
from accounts.services import user_update
from tests.support.browser_forms import choose, form_controls, submitted
from tests.support.html import elements
from tickets.models import Comment
from tickets.services import comment_create

PAGE = reverse("account_time_zone")
# 12:00 UTC is 17:30 in Kolkata (+05:30 all year).
NOON_UTC = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def bobs_reply_at_noon_utc(ticket, bob) -> Comment:
    comment = comment_create(ticket=ticket, author=bob, body="We refunded the second charge.")
    Comment.objects.filter(pk=comment.pk).update(created_at=NOON_UTC)
    return comment


def shown_times(page: str) -> list[str]:
    return [attrs["datetime"] or "" for tag, attrs in elements(page) if tag == "time" and "datetime" in attrs]


def test_the_page_is_in_the_account_menu(alice, client_for):
    page = client_for(alice).get(reverse("api_tokens")).content.decode()

    assert f'href="{PAGE}"' in page


def test_signed_out_visitors_are_sent_to_sign_in(client_for):
    response = client_for(None).get(PAGE)

    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_the_page_offers_every_zone_with_the_sites_default_first_and_selected(alice, client_for, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    page = client_for(alice).get(PAGE).content.decode()

    options = [attrs for tag, attrs in elements(page) if tag == "option"]
    assert options[0] == {"value": "", "selected": None}
    assert "The site&#x27;s default (Europe/Berlin)" in page
    assert {"value": "Asia/Kolkata"} in options and len(options) > 300


def test_a_person_saves_their_zone_and_sees_it_selected(alice, client_for):
    client = client_for(alice)

    response = client.post(PAGE, {"time_zone": "Asia/Kolkata"}, follow=True)

    alice.refresh_from_db()
    assert alice.time_zone == "Asia/Kolkata"
    assert "Your time zone was saved." in response.content.decode()
    assert {"value": "Asia/Kolkata", "selected": None} in [a for t, a in elements(response.content.decode())]


def test_the_blank_choice_goes_back_to_the_sites_default(alice, client_for):
    User.objects.filter(pk=alice.pk).update(time_zone="Asia/Kolkata")

    client_for(alice).post(PAGE, {"time_zone": ""})

    alice.refresh_from_db()
    assert alice.time_zone == ""


def test_a_zone_that_does_not_exist_is_an_error_on_the_page_and_the_saved_zone_is_kept(alice, client_for):
    User.objects.filter(pk=alice.pk).update(time_zone="Asia/Kolkata")

    response = client_for(alice).post(PAGE, {"time_zone": "Mars/Olympus_Mons"})

    assert response.status_code == 400
    assert "Select a valid choice. Mars/Olympus_Mons is not one of the available choices." in response.content.decode()
    alice.refresh_from_db()
    assert alice.time_zone == "Asia/Kolkata"


def test_the_browser_zone_script_is_offered_only_while_no_zone_is_saved(alice, client_for):
    client = client_for(alice)
    blank = client.get(PAGE).content.decode()
    User.objects.filter(pk=alice.pk).update(time_zone="Asia/Kolkata")
    chosen = client.get(PAGE).content.decode()

    assert "data-browser-time-zone " in blank or "data-browser-time-zone>" in blank
    assert "data-browser-time-zone>" not in chosen and "data-browser-time-zone " not in chosen
    assert "/static/js/time-zone.js" in blank


def test_an_agent_sees_a_reply_on_the_staff_ticket_page_in_their_zone(ticket, bob, client_for):
    bobs_reply_at_noon_utc(ticket, bob)
    User.objects.filter(pk=bob.pk).update(time_zone="Asia/Kolkata")

    page = client_for(bob).get(reverse("staff_ticket_detail", args=[ticket.pk])).content.decode()

    assert "2026-03-02T17:30:00+05:30" in shown_times(page)
    assert "Mar 2, 2026, 17:30" in page


def test_a_requester_sees_the_reply_on_their_ticket_page_in_their_zone(ticket, alice, bob, client_for):
    bobs_reply_at_noon_utc(ticket, bob)
    User.objects.filter(pk=alice.pk).update(time_zone="America/New_York")

    page = client_for(alice).get(reverse("ticket_detail", args=[ticket.pk])).content.decode()

    assert "2026-03-02T07:00:00-05:00" in shown_times(page)
    assert "Mar 2, 2026, 07:00" in page


def test_without_a_zone_pages_tell_times_in_the_sites_default(ticket, bob, client_for, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    bobs_reply_at_noon_utc(ticket, bob)

    page = client_for(bob).get(reverse("staff_ticket_detail", args=[ticket.pk])).content.decode()

    assert "2026-03-02T13:00:00+01:00" in shown_times(page)


def test_the_api_keeps_the_sites_zone_for_a_signed_in_browser_too(ticket, bob, client_for):
    bobs_reply_at_noon_utc(ticket, bob)
    User.objects.filter(pk=bob.pk).update(time_zone="Asia/Kolkata")

    rows = client_for(bob).get(f"/api/v1/tickets/{ticket.pk}/comments/").json()["results"]

    assert [row["created_at"] for row in rows] == ["2026-03-02T12:00:00Z"]


def test_a_stored_zone_the_tz_database_no_longer_has_reads_as_the_sites_default(settings):
    settings.TIME_ZONE = "Europe/Berlin"

    assert User(time_zone="Mars/Olympus_Mons").zone == ZoneInfo("Europe/Berlin")
    assert User(time_zone="").zone == ZoneInfo("Europe/Berlin")
    assert User(time_zone="Asia/Kolkata").zone == ZoneInfo("Asia/Kolkata")


def test_a_stored_name_of_a_folder_or_file_of_the_tz_database_that_is_no_zone_reads_as_the_sites_default(settings):
    settings.TIME_ZONE = "Europe/Berlin"

    for name in ("America/Indiana", "Europe", "zone1970.tab", "localtime"):
        assert User(time_zone=name).zone == ZoneInfo("Europe/Berlin"), name


def test_an_agent_whose_stored_zone_names_a_folder_of_the_tz_database_still_gets_the_pages(ticket, bob, client_for):
    User.objects.filter(pk=bob.pk).update(time_zone="America/Indiana")
    client = client_for(bob)

    assert client.get(reverse("staff_queue")).status_code == 200
    assert client.get(reverse("staff_ticket_detail", args=[ticket.pk])).status_code == 200


# Removed from the tz database in 2020b: a row saved before then may still hold it.
DROPPED_ZONE = "US/Pacific-New"


def test_an_agent_whose_stored_zone_the_tz_database_dropped_gets_pages_in_the_sites_default(
    ticket, bob, client_for, settings
):
    settings.TIME_ZONE = "Europe/Berlin"
    bobs_reply_at_noon_utc(ticket, bob)
    User.objects.filter(pk=bob.pk).update(time_zone=DROPPED_ZONE, time_zone_chosen=True)

    response = client_for(bob).get(reverse("staff_ticket_detail", args=[ticket.pk]))

    assert response.status_code == 200
    assert "2026-03-02T13:00:00+01:00" in shown_times(response.content.decode())


def test_the_page_shows_a_stored_zone_the_tz_database_dropped_as_no_longer_known_and_selected(alice, client_for):
    User.objects.filter(pk=alice.pk).update(time_zone=DROPPED_ZONE, time_zone_chosen=True)

    page = client_for(alice).get(PAGE).content.decode()

    options = [attrs for tag, attrs in elements(page) if tag == "option"]
    assert [option for option in options if "selected" in option] == [{"value": DROPPED_ZONE, "selected": None}]
    assert f"{DROPPED_ZONE} (no longer known)</option>" in page


def test_saving_the_page_as_shown_keeps_a_stored_zone_the_tz_database_dropped(alice, client_for):
    User.objects.filter(pk=alice.pk).update(time_zone=DROPPED_ZONE, time_zone_chosen=True)
    client = client_for(alice)
    shown = form_controls(client.get(PAGE).content.decode(), action=PAGE)

    response = client.post(PAGE, submitted(shown))

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.time_zone == DROPPED_ZONE


def test_a_person_replaces_a_stored_zone_the_tz_database_dropped(alice, client_for):
    User.objects.filter(pk=alice.pk).update(time_zone=DROPPED_ZONE, time_zone_chosen=True)
    client = client_for(alice)
    shown = form_controls(client.get(PAGE).content.decode(), action=PAGE)

    client.post(PAGE, submitted(choose(shown, "time_zone", "America/Los_Angeles")))

    alice.refresh_from_db()
    assert alice.time_zone == "America/Los_Angeles"


def test_a_dropped_zone_one_does_not_hold_cannot_be_saved_on_the_page(alice, client_for):
    response = client_for(alice).post(PAGE, {"time_zone": DROPPED_ZONE})

    assert response.status_code == 400
    alice.refresh_from_db()
    assert alice.time_zone == ""


def test_an_api_change_that_leaves_the_zone_out_keeps_a_stored_zone_the_tz_database_dropped(
    alice, carol, api_client_for
):
    User.objects.filter(pk=alice.pk).update(time_zone=DROPPED_ZONE, time_zone_chosen=True)

    own = api_client_for(alice).patch("/api/v1/auth/me", {}, format="json")
    admins = api_client_for(carol).patch(f"/api/v1/users/{alice.pk}/", {"name": "Alice R."}, format="json")

    assert (own.status_code, own.json()["time_zone"]) == (200, DROPPED_ZONE)
    assert admins.status_code == 200
    alice.refresh_from_db()
    assert (alice.name, alice.time_zone) == ("Alice R.", DROPPED_ZONE)


def test_an_api_change_that_sends_back_a_stored_zone_the_tz_database_dropped_keeps_it(alice, carol, api_client_for):
    """A client sends back what it read (GET, then PATCH with the name changed): the zone it read is the one the
    person has, kept as the pages keep it (TimeZoneField.offer_stored), not refused as unknown."""
    User.objects.filter(pk=alice.pk).update(time_zone=DROPPED_ZONE, time_zone_chosen=True)

    own = api_client_for(alice).patch("/api/v1/auth/me", {"time_zone": DROPPED_ZONE}, format="json")
    admins = api_client_for(carol).patch(
        f"/api/v1/users/{alice.pk}/", {"name": "Alice R.", "time_zone": DROPPED_ZONE}, format="json"
    )

    assert (own.status_code, own.json()["time_zone"]) == (200, DROPPED_ZONE)
    assert admins.status_code == 200
    alice.refresh_from_db()
    assert (alice.name, alice.time_zone) == ("Alice R.", DROPPED_ZONE)


def test_a_dropped_zone_one_does_not_hold_cannot_be_saved_through_the_api(alice, bob, carol, api_client_for):
    User.objects.filter(pk=alice.pk).update(time_zone=DROPPED_ZONE)
    other_dropped = "Canada/East-Saskatchewan"  # removed in 2017c

    own = api_client_for(alice).patch("/api/v1/auth/me", {"time_zone": other_dropped}, format="json")
    admins = api_client_for(carol).patch(f"/api/v1/users/{bob.pk}/", {"time_zone": DROPPED_ZONE}, format="json")

    assert (own.status_code, admins.status_code) == (400, 400)
    assert User.objects.get(pk=alice.pk).time_zone == DROPPED_ZONE and User.objects.get(pk=bob.pk).time_zone == ""


def test_localtime_the_hosts_own_zone_is_not_a_zone_one_can_pick(alice, api_client_for, client_for):
    page = client_for(alice).get(PAGE).content.decode()
    response = api_client_for(alice).patch("/api/v1/auth/me", {"time_zone": "localtime"}, format="json")

    assert {"value": "localtime"} not in [attrs for tag, attrs in elements(page) if tag == "option"]
    assert response.status_code == 400 and list(response.json()["error"]["details"]) == ["time_zone"]
    alice.refresh_from_db()
    assert alice.time_zone == ""


def test_saving_ones_zone_does_not_undo_a_deactivation_or_role_change_made_meanwhile(bob, carol):
    stale = User.objects.get(pk=bob.pk)  # request.user, read as the request began
    user_update(user=User.objects.get(pk=bob.pk), actor=carol, role="requester", is_active=False)

    user_update(user=stale, actor=stale, time_zone="Asia/Kolkata")

    bob.refresh_from_db()
    assert (bob.time_zone, bob.role, bob.is_active) == ("Asia/Kolkata", "requester", False)


def offers_the_browsers_zone(page: str) -> bool:
    return any(tag == "form" and "data-browser-time-zone" in attrs for tag, attrs in elements(page))


def test_a_person_who_saves_the_sites_default_on_purpose_is_no_longer_offered_the_browsers_zone(alice, client_for):
    client = client_for(alice)
    assert offers_the_browsers_zone(client.get(PAGE).content.decode())

    page = client.post(PAGE, {"time_zone": ""}, follow=True).content.decode()

    assert "Your time zone was saved." in page
    assert not offers_the_browsers_zone(page)
    assert not offers_the_browsers_zone(client.get(PAGE).content.decode())
    alice.refresh_from_db()
    assert alice.time_zone == ""


def test_choosing_the_sites_default_through_the_api_sticks_on_the_page_too(alice, api_client_for, client_for):
    response = api_client_for(alice).patch("/api/v1/auth/me", {"time_zone": ""}, format="json")

    assert response.status_code == 200 and response.json()["time_zone"] == ""
    assert not offers_the_browsers_zone(client_for(alice).get(PAGE).content.decode())


def test_an_admins_change_that_leaves_the_zone_out_is_no_choice_of_one(alice, carol, api_client_for, client_for):
    api_client_for(carol).patch(f"/api/v1/users/{alice.pk}/", {"name": "Alice R."}, format="json")

    assert offers_the_browsers_zone(client_for(alice).get(PAGE).content.decode())


def test_an_admin_who_creates_a_user_in_the_sites_default_through_the_api_chose_it_for_them(
    carol, api_client_for, client_for
):
    """As a PATCH with the same zone would: an account created with a zone named has it chosen."""
    response = api_client_for(carol).post(
        "/api/v1/users/", {"email": "dana@example.com", "time_zone": ""}, format="json"
    )

    assert response.status_code == 201
    dana = User.objects.get(email="dana@example.com")
    assert not offers_the_browsers_zone(client_for(dana).get(PAGE).content.decode())


def test_a_user_created_through_the_api_without_a_zone_is_offered_the_browsers(carol, api_client_for, client_for):
    api_client_for(carol).post("/api/v1/users/", {"email": "dana@example.com"}, format="json")

    dana = User.objects.get(email="dana@example.com")
    assert offers_the_browsers_zone(client_for(dana).get(PAGE).content.decode())


def test_a_zone_an_admin_picks_when_adding_a_user_is_a_chosen_one_and_the_default_left_alone_is_not(carol, client_for):
    admin = client_for(carol)
    for email, zone in [("dana@example.com", "Asia/Tokyo"), ("erin@example.com", "")]:
        data = {"email": email, "name": "", "role": "requester", "time_zone": zone}
        admin.post(
            reverse("admin:accounts_user_add"), {**data, "password1": "plum-orchard-42", "password2": "plum-orchard-42"}
        )

    chosen = dict(
        User.objects.filter(email__in=["dana@example.com", "erin@example.com"]).values_list("email", "time_zone_chosen")
    )
    assert chosen == {"dana@example.com": True, "erin@example.com": False}
