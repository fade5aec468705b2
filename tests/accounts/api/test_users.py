"""GET/POST/PATCH /api/v1/users/: agents list, admins manage."""

from __future__ import annotations

from accounts.models import Role, User


def test_agent_lists_users(api_client_for, bob, alice, carol):
    rows = api_client_for(bob).get("/api/v1/users/").json()["results"]
    assert {row["email"] for row in rows} == {"alice@example.com", "bob@example.com", "carol@example.com"}


def test_agent_filters_users_by_role(api_client_for, bob, alice, carol):
    rows = api_client_for(bob).get("/api/v1/users/?role=agent").json()["results"]
    assert [row["email"] for row in rows] == ["bob@example.com"]


def test_agent_filters_users_by_whether_they_are_active_and_a_word_other_than_true_or_false_is_400(
    api_client_for, bob, alice, carol
):
    User.objects.filter(pk=alice.pk).update(is_active=False)
    client = api_client_for(bob)
    inactive = client.get("/api/v1/users/?is_active=False").json()["results"]
    assert [row["email"] for row in inactive] == ["alice@example.com"]
    assert len(client.get("/api/v1/users/?is_active=true").json()["results"]) == 2
    response = client.get("/api/v1/users/?is_active=maybe")
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"is_active": ["Use true or false."]}


def test_requester_may_not_list_users(api_client_for, alice):
    assert api_client_for(alice).get("/api/v1/users/").status_code == 403


def test_agent_may_not_create_or_change_users(api_client_for, bob, alice):
    client = api_client_for(bob)
    assert client.post("/api/v1/users/", {"email": "new@example.com"}, format="json").status_code == 403
    assert client.patch(f"/api/v1/users/{alice.pk}/", {"role": "agent"}, format="json").status_code == 403
    alice.refresh_from_db()
    assert alice.role == Role.REQUESTER


def test_admin_creates_a_user(api_client_for, carol):
    response = api_client_for(carol).post(
        "/api/v1/users/", {"email": "New.Agent@Example.com", "name": "New", "role": "agent"}, format="json"
    )
    assert response.status_code == 201, response.content
    user = User.objects.get(email="new.agent@example.com")
    assert user.role == Role.AGENT and not user.has_usable_password()


def test_admin_creates_a_user_with_a_time_zone_and_a_zone_that_does_not_exist_is_a_field_error(api_client_for, carol):
    client = api_client_for(carol)

    created = client.post("/api/v1/users/", {"email": "dana@example.com", "time_zone": "Asia/Tokyo"}, format="json")
    refused = client.post("/api/v1/users/", {"email": "erin@example.com", "time_zone": "Mars/Olympus"}, format="json")

    assert created.status_code == 201 and created.json()["time_zone"] == "Asia/Tokyo"
    assert User.objects.get(email="dana@example.com").time_zone == "Asia/Tokyo"
    assert refused.status_code == 400 and list(refused.json()["error"]["details"]) == ["time_zone"]
    assert not User.objects.filter(email="erin@example.com").exists()


def test_duplicate_email_is_refused_case_insensitively(api_client_for, carol, alice):
    response = api_client_for(carol).post("/api/v1/users/", {"email": "ALICE@example.com"}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()["error"]["details"]


def test_weak_password_is_a_field_error(api_client_for, carol):
    response = api_client_for(carol).post(
        "/api/v1/users/", {"email": "x@example.com", "password": "123"}, format="json"
    )
    assert response.status_code == 400
    assert "password" in response.json()["error"]["details"]


def test_admin_promotes_a_requester_to_agent(api_client_for, carol, alice):
    response = api_client_for(carol).patch(f"/api/v1/users/{alice.pk}/", {"role": "agent"}, format="json")
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.role == Role.AGENT and alice.is_staff


def test_admin_cannot_change_own_role(api_client_for, carol):
    response = api_client_for(carol).patch(f"/api/v1/users/{carol.pk}/", {"role": "requester"}, format="json")
    assert response.status_code == 403
    carol.refresh_from_db()
    assert carol.role == Role.ADMIN


def test_admin_cannot_deactivate_their_own_account(api_client_for, carol):
    response = api_client_for(carol).patch(f"/api/v1/users/{carol.pk}/", {"is_active": False}, format="json")

    assert response.status_code == 403
    assert response.json()["error"]["message"] == "You cannot deactivate your own account."
    carol.refresh_from_db()
    assert carol.is_active


def test_invalid_role_is_a_field_error(api_client_for, carol, alice):
    response = api_client_for(carol).patch(f"/api/v1/users/{alice.pk}/", {"role": "boss"}, format="json")
    assert response.status_code == 400
    assert "role" in response.json()["error"]["details"]


def test_admin_sets_a_users_time_zone_and_agents_read_it(api_client_for, carol, bob, alice):
    response = api_client_for(carol).patch(f"/api/v1/users/{alice.pk}/", {"time_zone": "Asia/Kolkata"}, format="json")

    assert response.status_code == 200
    assert api_client_for(bob).get(f"/api/v1/users/{alice.pk}/").json()["time_zone"] == "Asia/Kolkata"


def test_a_time_zone_that_does_not_exist_is_a_field_error(api_client_for, carol, alice):
    response = api_client_for(carol).patch(f"/api/v1/users/{alice.pk}/", {"time_zone": "Utopia"}, format="json")

    assert response.status_code == 400 and "time_zone" in response.json()["error"]["details"]
    alice.refresh_from_db()
    assert alice.time_zone == ""
