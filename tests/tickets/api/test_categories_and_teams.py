"""GET /api/v1/categories/ and /api/v1/teams/."""

from __future__ import annotations

from tickets.models import Category


def test_requester_lists_active_categories(api_client_for, alice, category):
    Category.objects.create(name="Old", slug="old", is_active=False)
    rows = api_client_for(alice).get("/api/v1/categories/").json()["results"]
    assert [row["slug"] for row in rows] == ["billing"]


def test_agent_lists_all_categories(api_client_for, bob, category):
    Category.objects.create(name="Old", slug="old", is_active=False)
    rows = api_client_for(bob).get("/api/v1/categories/").json()["results"]
    assert {row["slug"] for row in rows} == {"billing", "old"}


def test_agent_lists_teams_with_members(api_client_for, bob, team):
    rows = api_client_for(bob).get("/api/v1/teams/").json()["results"]
    assert rows == [{"id": team.pk, "name": "Support", "members": [bob.pk]}]


def test_requester_may_not_list_teams(api_client_for, alice, team):
    response = api_client_for(alice).get("/api/v1/teams/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
