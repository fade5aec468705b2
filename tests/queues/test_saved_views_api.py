"""`/api/v1/views/`: an agent's views and the team's shared ones, CRUD by the owner, and each view's tickets."""

from __future__ import annotations

import pytest

from queues.models import SavedView
from queues.services import saved_view_create
from tests.support.api import assert_error_body

VIEWS = "/api/v1/views/"


def test_an_agent_creates_a_view_and_reads_it_back(bob, team, api_client_for):
    client = api_client_for(bob)

    created = client.post(
        VIEWS,
        {"name": "Urgent VIP", "conditions": {"priority": "urgent", "tag": "vip"}, "team": team.pk},
        format="json",
    )

    assert created.status_code == 201
    body = created.json()
    assert body["owner"] == bob.pk and body["team"] == team.pk and body["sort"] == "newest"
    assert client.get(f"{VIEWS}{body['id']}/").json()["conditions"] == {"priority": "urgent", "tag": "vip"}


@pytest.mark.parametrize(
    ("conditions", "field"),
    [
        ({"priority": "whenever"}, "conditions"),
        ({"colour": "blue"}, "conditions"),
        ({"page_size": "5"}, "conditions"),
        ({"status": "new,nonsense"}, "conditions"),
        ({"q": "word " * 1000}, "conditions"),  # run on every page of the queue: no search box holds that much
    ],
)
def test_conditions_outside_the_condition_language_are_refused(bob, api_client_for, conditions, field):
    response = api_client_for(bob).post(VIEWS, {"name": "Bad", "conditions": conditions}, format="json")

    assert_error_body(response, 400, "invalid")
    assert field in response.json()["error"]["details"]
    assert not SavedView.objects.exists()


def test_conditions_must_be_an_object_of_strings(bob, api_client_for):
    for conditions in (["status"], {"status": ["new"]}, "status=new"):
        response = api_client_for(bob).post(VIEWS, {"name": "Bad", "conditions": conditions}, format="json")
        assert_error_body(response, 400, "invalid")


def test_a_search_longer_than_a_search_box_holds_is_refused_naming_q(bob, api_client_for):
    """PostgreSQL's query parser runs out of stack on some thousands of words: a clear 400, not a 503."""
    response = api_client_for(bob).get("/api/v1/tickets/", {"q": "word " * 1000})

    assert_error_body(response, 400, "invalid")
    assert response.json()["error"]["details"]["q"] == ["Ensure this value has at most 1000 characters (it has 4999)."]


def test_sharing_with_a_team_you_are_not_in_is_refused(erin, team, api_client_for):
    response = api_client_for(erin).post(VIEWS, {"name": "Theirs", "team": team.pk}, format="json")

    assert_error_body(response, 403, "permission_denied")


def test_the_list_has_own_and_team_shared_views_only(bob, dave, erin, team, api_client_for):
    own = saved_view_create(owner=bob, name="Bob's", conditions={})
    shared = saved_view_create(owner=dave, name="Dave's shared", conditions={}, team=team)
    saved_view_create(owner=dave, name="Dave's private", conditions={})
    saved_view_create(owner=erin, name="Erin's", conditions={})

    ids = [view["id"] for view in api_client_for(bob).get(VIEWS).json()["results"]]

    assert ids == [own.pk, shared.pk]


def test_another_agents_private_view_is_404(bob, erin, api_client_for):
    view = saved_view_create(owner=erin, name="Erin's", conditions={})
    client = api_client_for(bob)

    assert_error_body(client.get(f"{VIEWS}{view.pk}/"), 404, "not_found")
    assert_error_body(client.patch(f"{VIEWS}{view.pk}/", {"name": "Mine now"}, format="json"), 404, "not_found")
    assert_error_body(client.delete(f"{VIEWS}{view.pk}/"), 404, "not_found")
    assert_error_body(client.get(f"{VIEWS}{view.pk}/tickets/"), 404, "not_found")


def test_a_team_member_reads_a_shared_view_but_only_the_owner_changes_it(bob, dave, team, api_client_for):
    view = saved_view_create(owner=dave, name="Dave's", conditions={}, team=team)
    client = api_client_for(bob)

    assert client.get(f"{VIEWS}{view.pk}/").status_code == 200
    assert_error_body(client.patch(f"{VIEWS}{view.pk}/", {"name": "Bob's"}, format="json"), 403, "permission_denied")
    assert_error_body(client.delete(f"{VIEWS}{view.pk}/"), 403, "permission_denied")
    assert SavedView.objects.get(pk=view.pk).name == "Dave's"


def test_the_owner_changes_and_deletes_a_view(bob, api_client_for):
    view = saved_view_create(owner=bob, name="Old", conditions={})
    client = api_client_for(bob)

    changed = client.patch(f"{VIEWS}{view.pk}/", {"name": "New", "conditions": {"status": "pending"}}, format="json")
    assert changed.status_code == 200 and changed.json()["conditions"] == {"status": "pending"}
    assert client.put(f"{VIEWS}{view.pk}/", {"name": "Put"}, format="json").status_code == 405
    assert client.delete(f"{VIEWS}{view.pk}/").status_code == 204
    assert not SavedView.objects.exists()


@pytest.mark.parametrize("who", ["alice", "mallory"])
def test_requesters_are_refused_every_view_endpoint(request, bob, who, api_client_for):
    view = saved_view_create(owner=bob, name="Bob's", conditions={})
    client = api_client_for(request.getfixturevalue(who))

    assert_error_body(client.get(VIEWS), 403, "permission_denied")
    assert_error_body(client.get(f"{VIEWS}{view.pk}/"), 403, "permission_denied")
    assert_error_body(client.post(VIEWS, {"name": "x"}, format="json"), 403, "permission_denied")
    assert_error_body(client.delete(f"{VIEWS}{view.pk}/"), 403, "permission_denied")
    assert_error_body(client.get(f"{VIEWS}{view.pk}/tickets/"), 403, "permission_denied")
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_anonymous_callers_are_401(bob, api_client_for):
    assert api_client_for(None).get(VIEWS).status_code == 401


def test_a_views_tickets_follow_its_conditions_and_sort(bob, desk, api_client_for):
    view = saved_view_create(owner=bob, name="Open by priority", conditions={"status": "new,open"}, sort="priority")
    client = api_client_for(bob)

    first = client.get(f"{VIEWS}{view.pk}/tickets/", {"page_size": 2}).json()
    second = client.get(first["next"]).json()

    subjects = [ticket["subject"] for ticket in first["results"] + second["results"]]
    assert subjects == ["Mine to answer", "Carol has it", "Nobody has it"]


def test_assignee_me_in_a_shared_view_means_whoever_reads_it(bob, carol, team, desk, api_client_for):
    view = saved_view_create(owner=bob, name="Mine", conditions={"assignee": "me"}, team=team)
    team.members.add(carol)

    subjects = [t["subject"] for t in api_client_for(carol).get(f"{VIEWS}{view.pk}/tickets/").json()["results"]]

    assert subjects == ["Waiting on customer", "Carol has it"]


def test_a_views_ticket_list_refuses_unknown_parameters(bob, api_client_for):
    view = saved_view_create(owner=bob, name="All", conditions={})

    assert_error_body(api_client_for(bob).get(f"{VIEWS}{view.pk}/tickets/", {"status": "new"}), 400, "invalid")


@pytest.mark.parametrize("path", ["0", "99999999999999999999", "abc", "-1", "1.5", "%00"])
def test_hostile_view_ids_are_refused_not_500(bob, api_client_for, path):
    client = api_client_for(bob)

    assert client.get(f"{VIEWS}{path}/").status_code in (400, 404)
    assert client.get(f"{VIEWS}{path}/tickets/").status_code in (400, 404)


@pytest.mark.parametrize("view_count", [1, 8])
def test_view_endpoints_run_a_bounded_number_of_queries(
    bob, desk, api_client_for, django_assert_max_num_queries, view_count
):
    for number in range(view_count):
        view = saved_view_create(owner=bob, name=f"View {number}", conditions={"status": "new,open,pending"})
    client = api_client_for(bob)

    with django_assert_max_num_queries(8):
        client.get(VIEWS)
    with django_assert_max_num_queries(12):
        client.get(f"{VIEWS}{view.pk}/tickets/")
