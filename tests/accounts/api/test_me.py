"""GET/PATCH /api/v1/auth/me: everyone reads their own account and sets their time zone."""

from __future__ import annotations

from accounts.models import User
from tests.accounts.api.test_tokens_scopes import assert_insufficient_scope, read_only_client

ME = "/api/v1/auth/me"


def test_a_requester_reads_their_account_with_its_time_zone(api_client_for, alice):
    User.objects.filter(pk=alice.pk).update(time_zone="Asia/Kolkata")

    body = api_client_for(alice).get(ME).json()

    assert (body["email"], body["time_zone"]) == ("alice@example.com", "Asia/Kolkata")


def test_a_requester_sets_their_time_zone(api_client_for, alice):
    response = api_client_for(alice).patch(ME, {"time_zone": "Asia/Kolkata"}, format="json")

    assert response.status_code == 200 and response.json()["time_zone"] == "Asia/Kolkata"
    alice.refresh_from_db()
    assert alice.time_zone == "Asia/Kolkata"


def test_an_empty_time_zone_goes_back_to_the_sites_default(api_client_for, alice):
    User.objects.filter(pk=alice.pk).update(time_zone="Asia/Kolkata")

    response = api_client_for(alice).patch(ME, {"time_zone": ""}, format="json")

    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.time_zone == ""


def test_a_zone_that_does_not_exist_is_a_400_naming_the_field_and_the_saved_zone_is_kept(api_client_for, alice):
    User.objects.filter(pk=alice.pk).update(time_zone="Asia/Kolkata")

    response = api_client_for(alice).patch(ME, {"time_zone": "Mars/Olympus_Mons"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {
        "time_zone": ["“Mars/Olympus_Mons” is not a time zone name such as Europe/Berlin or America/New_York."]
    }
    alice.refresh_from_db()
    assert alice.time_zone == "Asia/Kolkata"


def test_a_time_zone_that_is_not_a_string_is_a_400(api_client_for, alice):
    response = api_client_for(alice).patch(ME, {"time_zone": ["Asia/Kolkata"]}, format="json")

    assert response.status_code == 400 and "time_zone" in response.json()["error"]["details"]


def test_a_read_only_token_cannot_change_the_time_zone(alice):
    response = read_only_client(alice).patch(ME, {"time_zone": "Asia/Kolkata"}, format="json")

    assert_insufficient_scope(response)
    alice.refresh_from_db()
    assert alice.time_zone == ""


def test_signed_out_callers_get_401(api_client_for, alice):
    response = api_client_for(None).patch(ME, {"time_zone": "Asia/Kolkata"}, format="json")

    assert response.status_code == 401
