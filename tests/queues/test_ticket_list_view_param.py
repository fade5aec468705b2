"""`GET /api/v1/tickets/?view=`: a built-in or saved view's tickets in the ticket list, with any other filter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from queues.services import saved_view_create
from search.services import ticket_documents_rebuild
from tests.queues.conftest import DESK_VIEW_SUBJECTS
from tests.support.api import assert_error_body
from tickets.filters import VIEW_NOT_FOUND
from tickets.models import Status, Ticket
from tickets.services import ticket_change_status

TICKETS = "/api/v1/tickets/"


def subjects_of(client, params) -> list[str]:
    """Every page of the list, following `next`."""
    page = client.get(TICKETS, params).json()
    subjects = [ticket["subject"] for ticket in page["results"]]
    while page["next"]:
        page = client.get(page["next"]).json()
        subjects += [ticket["subject"] for ticket in page["results"]]
    return subjects


def assert_unknown_view(response) -> None:
    error = assert_error_body(response, 400, "invalid")
    assert error["details"] == {"view": [VIEW_NOT_FOUND]}


def test_a_saved_view_lists_what_its_own_endpoint_lists_in_its_sort(bob, desk, api_client_for):
    view = saved_view_create(owner=bob, name="Open by priority", conditions={"status": "new,open"}, sort="priority")
    client = api_client_for(bob)

    listed = subjects_of(client, {"view": view.pk, "page_size": 2})

    assert listed == ["Mine to answer", "Carol has it", "Nobody has it"]
    own = client.get(f"/api/v1/views/{view.pk}/tickets/").json()["results"]
    assert listed == [ticket["subject"] for ticket in own]


@pytest.mark.parametrize(
    ("key", "expected"),
    [*DESK_VIEW_SUBJECTS, ("breached", [])],
)
def test_a_built_in_view_is_asked_for_by_its_key(bob, desk, api_client_for, key, expected):
    assert subjects_of(api_client_for(bob), {"view": key}) == expected


def test_a_built_in_view_keeps_its_sort(bob, desk, api_client_for):
    """Recently solved is in the order of the last update: the older ticket, updated last, comes first."""
    ticket_change_status(ticket=desk["mine"], actor=bob, status=Status.RESOLVED)
    now = timezone.now()
    Ticket.objects.filter(pk=desk["mine"].pk).update(updated_at=now - timedelta(minutes=1))
    Ticket.objects.filter(pk=desk["solved"].pk).update(updated_at=now - timedelta(hours=1))

    assert subjects_of(api_client_for(bob), {"view": "solved", "page_size": 1}) == ["Mine to answer", "Fixed yesterday"]


def test_the_views_conditions_and_the_other_filters_must_all_match(bob, desk, api_client_for):
    view = saved_view_create(owner=bob, name="Open", conditions={"status": "new,open,pending"})
    client = api_client_for(bob)

    assert subjects_of(client, {"view": view.pk, "assignee": "none"}) == ["Nobody has it"]
    assert subjects_of(client, {"view": "open", "priority": "high"}) == ["Mine to answer"]
    assert subjects_of(client, {"view": "pending", "assignee": "none"}) == []
    # Both sides of the same filter must hold: the view's pending and the request's new never meet.
    assert subjects_of(client, {"view": "pending", "status": "new"}) == []


def test_a_search_in_the_view_and_one_in_the_request_both_apply(bob, desk, api_client_for):
    ticket_documents_rebuild(ticket_ids=[ticket.pk for ticket in desk.values()])  # as the worker indexes them
    view = saved_view_create(owner=bob, name="Customers", conditions={"q": "customer"})
    client = api_client_for(bob)

    assert subjects_of(client, {"view": view.pk}) == ["Waiting on customer"]
    assert subjects_of(client, {"view": view.pk, "q": "waiting"}) == ["Waiting on customer"]
    assert subjects_of(client, {"view": view.pk, "q": "fixed"}) == []


def test_an_explicit_ordering_wins_over_the_views_sort(bob, desk, api_client_for):
    view = saved_view_create(owner=bob, name="Open by priority", conditions={"status": "new,open"}, sort="priority")

    listed = subjects_of(api_client_for(bob), {"view": view.pk, "ordering": "created_at"})

    assert listed == ["Mine to answer", "Nobody has it", "Carol has it"]


def test_assignee_me_in_a_shared_view_means_whoever_lists_it(bob, carol, team, desk, api_client_for):
    view = saved_view_create(owner=bob, name="Mine", conditions={"assignee": "me"}, team=team)
    team.members.add(carol)

    assert subjects_of(api_client_for(carol), {"view": view.pk}) == ["Waiting on customer", "Carol has it"]


def test_a_view_shared_with_the_callers_team_is_usable(bob, dave, team, desk, api_client_for):
    view = saved_view_create(owner=dave, name="Pending", conditions={"status": "pending"}, team=team)

    assert subjects_of(api_client_for(bob), {"view": view.pk}) == ["Waiting on customer"]


def test_another_agents_private_view_is_the_same_400_as_a_missing_one(bob, erin, desk, api_client_for):
    private = saved_view_create(owner=erin, name="Erin's", conditions={"status": "pending"})
    client = api_client_for(bob)

    hidden = client.get(TICKETS, {"view": private.pk})
    missing = client.get(TICKETS, {"view": private.pk + 1000})

    assert_unknown_view(hidden)
    assert_unknown_view(missing)
    assert hidden.json() == missing.json()


@pytest.mark.parametrize("key", ["0", "-1", "1.5", "abc", "MINE", "99999999999999999999", "%00", "open,mine"])
def test_unknown_or_hostile_view_keys_are_400_not_500(bob, desk, api_client_for, key):
    assert_unknown_view(api_client_for(bob).get(TICKETS, {"view": key}))


@pytest.mark.parametrize("key", ["1" * 40, "\x00"])
def test_a_view_key_no_view_could_have_is_refused_by_the_field(bob, desk, api_client_for, key):
    error = assert_error_body(api_client_for(bob).get(TICKETS, {"view": key}), 400, "invalid")

    assert list(error["details"]) == ["view"]
    assert error["details"]["view"] != ["Unknown query parameter."]


def test_an_empty_view_is_no_filter(bob, desk, api_client_for):
    assert len(subjects_of(api_client_for(bob), {"view": ""})) == len(desk)


@pytest.mark.parametrize("key", ["open", "mine", "saved"])
def test_requesters_get_the_same_400_for_any_view(alice, bob, desk, api_client_for, key):
    if key == "saved":
        key = saved_view_create(owner=bob, name="Bob's", conditions={}).pk
    client = api_client_for(alice)

    assert_unknown_view(client.get(TICKETS, {"view": key}))
    assert client.get(TICKETS).status_code == 200


def test_a_view_cannot_be_stored_as_a_condition_of_another(bob, api_client_for):
    view = saved_view_create(owner=bob, name="Open", conditions={"status": "open"})

    response = api_client_for(bob).post(
        "/api/v1/views/", {"name": "Loop", "conditions": {"view": str(view.pk)}}, format="json"
    )

    assert_error_body(response, 400, "invalid")


def test_the_schema_documents_the_view_parameter(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()

    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/tickets/"]["get"]["parameters"]}
    assert "saved view" in parameters["view"]["description"]
    assert parameters["view"]["schema"]["type"] == "string"


@pytest.mark.parametrize("page_size", [2, 50])
def test_listing_a_view_runs_a_bounded_number_of_queries(
    bob, desk, api_client_for, django_assert_max_num_queries, page_size
):
    view = saved_view_create(owner=bob, name="Open", conditions={"status": "new,open,pending"}, sort="updated")
    client = api_client_for(bob)

    with django_assert_max_num_queries(12):
        response = client.get(TICKETS, {"view": view.pk, "page_size": page_size, "tag": "", "priority": "normal"})
    assert response.status_code == 200
