"""GET /api/v1/tickets/: who sees what, filters, ordering, cursor pagination and a bounded query count."""

from __future__ import annotations

import pytest

from search.services import ticket_documents_rebuild
from tests.support.api import assert_error_body
from tickets.models import Priority, Status, Ticket
from tickets.services import TicketChanges, ticket_create, ticket_update

URL = "/api/v1/tickets/"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def mallorys_ticket(mallory):
    return ticket_create(requester=mallory, subject="Mallory's printer", description="Out of toner")


def test_requester_lists_only_her_own_tickets(api_client_for, alice, ticket, mallorys_ticket):
    assert ids(api_client_for(alice).get(URL)) == [ticket.pk]


def test_agent_lists_every_ticket(api_client_for, bob, ticket, mallorys_ticket):
    assert set(ids(api_client_for(bob).get(URL))) == {ticket.pk, mallorys_ticket.pk}


def test_anonymous_gets_401(api_client_for, ticket):
    response = api_client_for(None).get(URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_list_body_has_relations_as_ids(api_client_for, bob, alice, ticket, category, team):
    row = api_client_for(bob).get(URL).json()["results"][0]
    assert row["requester"] == alice.pk
    assert row["category"] == category.pk
    assert row["team"] == team.pk
    assert row["assignee"] is None
    assert row["priority"] == "normal"
    assert row["status"] == "new"


@pytest.fixture
def varied_tickets(alice, mallory, bob, carol, category, team):
    """Five tickets with different statuses, priorities, assignees and tags."""
    made = {}
    for name, requester, status, priority, assignee, tags in [
        ("new-low", alice, Status.NEW, Priority.LOW, None, []),
        ("open-high", alice, Status.OPEN, Priority.HIGH, bob, ["vip"]),
        ("pending-urgent", mallory, Status.PENDING, Priority.URGENT, carol, ["vip", "billing"]),
        ("resolved-normal", mallory, Status.RESOLVED, Priority.NORMAL, bob, []),
        ("closed-normal", alice, Status.CLOSED, Priority.NORMAL, None, ["printer"]),
    ]:
        ticket = ticket_create(requester=requester, subject=name, description=f"about {name}", category=None, actor=bob)
        ticket_update(
            ticket=ticket,
            actor=bob,
            changes=TicketChanges(status=status, priority=priority, assignee=assignee, tags=tags),
        )
        made[name] = ticket.pk
    Ticket.objects.filter(pk=made["open-high"]).update(category=category, team=team)
    return made


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=new", {"new-low"}),
        ("status=open,pending", {"open-high", "pending-urgent"}),
        ("priority=urgent", {"pending-urgent"}),
        ("assignee=none", {"new-low", "closed-normal"}),
        ("assignee=me", {"open-high", "resolved-normal"}),
        ("tag=vip", {"open-high", "pending-urgent"}),
        ("q=PENDING", {"pending-urgent"}),
        ("q=about%20closed", {"closed-normal"}),
    ],
)
def test_filters(api_client_for, bob, varied_tickets, query, expected):
    ticket_documents_rebuild(ticket_ids=varied_tickets.values())  # `q` reads the search index the worker keeps
    found = ids(api_client_for(bob).get(f"{URL}?{query}"))
    assert {name for name, pk in varied_tickets.items() if pk in found} == expected


def test_filter_by_assignee_id_team_category_and_requester(api_client_for, bob, carol, mallory, varied_tickets, team):
    client = api_client_for(bob)
    assert ids(client.get(f"{URL}?assignee={carol.pk}")) == [varied_tickets["pending-urgent"]]
    assert ids(client.get(f"{URL}?team={team.pk}")) == [varied_tickets["open-high"]]
    by_requester = set(ids(client.get(f"{URL}?requester={mallory.pk}")))
    assert by_requester == {varied_tickets["pending-urgent"], varied_tickets["resolved-normal"]}


def test_filter_by_time(api_client_for, bob, varied_tickets):
    client = api_client_for(bob)
    Ticket.objects.filter(pk=varied_tickets["new-low"]).update(created_at="2020-01-01T00:00:00Z")
    Ticket.objects.filter(pk=varied_tickets["new-low"]).update(updated_at="2020-01-01T00:00:00Z")
    recent = set(ids(client.get(f"{URL}?created_after=2021-01-01T00:00:00Z")))
    assert varied_tickets["new-low"] not in recent and len(recent) == 4
    assert varied_tickets["new-low"] not in ids(client.get(f"{URL}?updated_after=2021-01-01T00:00:00Z"))


def test_ordering_by_priority_descending(api_client_for, bob, varied_tickets):
    rows = api_client_for(bob).get(f"{URL}?ordering=-priority").json()["results"]
    priorities = [row["priority"] for row in rows]
    assert priorities[0] == "urgent" and priorities[-1] == "low"


def test_ordering_by_created_at_ascending(api_client_for, bob, varied_tickets):
    found = ids(api_client_for(bob).get(f"{URL}?ordering=created_at"))
    assert found == sorted(found)


@pytest.mark.parametrize("query", ["status=bogus", "priority=extreme", "assignee=someone", "team=abc", "team=999"])
def test_invalid_filter_values_are_400_with_details(api_client_for, bob, query):
    response = api_client_for(bob).get(f"{URL}?{query}")
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid"
    assert query.split("=")[0] in body["details"]


@pytest.mark.parametrize("query", ["status=,", "status=open,", "status=,open", "status=new,,open"])
def test_an_empty_item_in_a_comma_separated_filter_is_400_naming_it(api_client_for, bob, varied_tickets, query):
    error = assert_error_body(api_client_for(bob).get(f"{URL}?{query}"), 400, "invalid")
    assert list(error["details"]) == ["status"]


def test_cursor_pagination_walks_every_ticket_once(api_client_for, bob, alice):
    created = {ticket_create(requester=alice, subject=f"t{i}").pk for i in range(7)}
    client = api_client_for(bob)
    seen, url = [], f"{URL}?page_size=3&ordering=-priority"
    while url:
        body = client.get(url).json()
        assert set(body) == {"results", "next", "previous"}
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(created)


def test_page_size_goes_up_to_100_and_more_is_refused(api_client_for, bob, alice):
    Ticket.objects.bulk_create(Ticket(requester=alice, subject=f"bulk {i}") for i in range(105))
    client = api_client_for(bob)
    assert len(ids(client.get(f"{URL}?page_size=100"))) == 100
    response = client.get(f"{URL}?page_size=1000")
    assert response.status_code == 400
    assert "page_size" in response.json()["error"]["details"]


@pytest.mark.parametrize("page_size", [5, 50])
def test_query_count_does_not_grow_with_page_size(api_client_for, bob, alice, page_size, django_assert_max_num_queries):
    for i in range(50):
        ticket = ticket_create(requester=alice, subject=f"t{i}", tags=["a", "b"], actor=bob, assignee=bob)
        assert ticket.pk
    client = api_client_for(bob)
    # token, count-free cursor page, tags, running SLA clocks, satisfaction ratings
    with django_assert_max_num_queries(6):
        assert len(ids(client.get(f"{URL}?page_size={page_size}"))) == page_size


@pytest.mark.parametrize("ordering", ["-priorty", "id", "priority,bogus", "subject"])
def test_an_ordering_the_list_cannot_sort_by_is_400_naming_the_choices(api_client_for, bob, ticket, ordering):
    response = api_client_for(bob).get(f"{URL}?ordering={ordering}")
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {
        "ordering": ["Order by created_at, updated_at or priority; a leading - reverses the order."]
    }


def test_my_teams_takes_true_or_false_in_any_case_and_refuses_other_words(api_client_for, bob, alice, team):
    team.members.add(bob)
    mine = ticket_create(requester=alice, actor=bob, subject="Ours", team=team)
    other = ticket_create(requester=alice, subject="Nobody's")
    client = api_client_for(bob)
    assert ids(client.get(f"{URL}?my_teams=true")) == [mine.pk]
    assert ids(client.get(f"{URL}?my_teams=FALSE")) == [other.pk]
    assert set(ids(client.get(f"{URL}?my_teams="))) == {mine.pk, other.pk}
    for word in ("yes", "maybe", "1"):
        response = client.get(f"{URL}?my_teams={word}")
        assert response.status_code == 400
        assert response.json()["error"]["details"] == {"my_teams": ["Use true or false."]}
