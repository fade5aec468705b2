from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from queues.services import saved_view_create
from search.services import ticket_documents_rebuild
from tickets.models import Category, Priority, Status, Team, Ticket
from tickets.services import TicketChanges, ticket_change_status, ticket_create, ticket_update


def subjects(response) -> list[str]:
    """The ticket subjects in the queue table, top to bottom."""
    return re.findall(r'<a class="ticket-link" href="/staff/tickets/\d+/">([^<]+)</a>', response.content.decode())


@pytest.fixture
def queue(alice, mallory, bob, carol, team, category) -> dict[str, Ticket]:
    """Four tickets that differ in every filtered property, created a minute apart."""
    other_team = Team.objects.create(name="Hardware")
    other_category = Category.objects.create(name="Laptops", slug="laptops", default_team=other_team)
    tickets = {
        "invoice": ticket_create(requester=alice, subject="Invoice is wrong", category=category),
        "laptop": ticket_create(
            requester=mallory, subject="Laptop is slow", description="Fans spinning", category=other_category
        ),
        "refund": ticket_create(requester=alice, subject="Refund please", category=category),
        "screen": ticket_create(requester=mallory, subject="Screen flickers", category=other_category),
    }
    start = timezone.now() - timedelta(hours=1)
    for minutes, ticket in enumerate(tickets.values()):
        Ticket.objects.filter(pk=ticket.pk).update(created_at=start + timedelta(minutes=minutes))
    ticket_update(ticket=tickets["invoice"], actor=bob, changes=TicketChanges(assignee=bob, priority=Priority.URGENT))
    ticket_update(ticket=tickets["laptop"], actor=bob, changes=TicketChanges(assignee=carol, priority=Priority.HIGH))
    ticket_change_status(ticket=tickets["refund"], actor=bob, status=Status.PENDING)
    ticket_change_status(ticket=tickets["screen"], actor=bob, status=Status.RESOLVED)
    return tickets


def test_staff_queue_lists_the_open_tickets_newest_first_by_default(bob, queue, client_for):
    response = client_for(bob).get(reverse("staff_queue"))

    assert response.status_code == 200
    assert subjects(response) == ["Refund please", "Laptop is slow", "Invoice is wrong"]


def test_filters_without_a_status_never_show_resolved_or_closed_tickets(bob, queue, client_for):
    response = client_for(bob).get(reverse("staff_queue"), {"q": "screen"})

    assert subjects(response) == []


def test_admin_sees_the_queue_too(carol, queue, client_for):
    assert len(subjects(client_for(carol).get(reverse("staff_queue")))) == 3


def test_requesters_get_404_on_the_queue(alice, client_for):
    assert client_for(alice).get(reverse("staff_queue")).status_code == 404


def test_anonymous_visitor_is_sent_to_login_from_the_queue(client_for, db):
    response = client_for(None).get(reverse("staff_queue"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_queue_filters_by_several_statuses(bob, queue, client_for):
    response = client_for(bob).get(reverse("staff_queue"), {"status": [Status.PENDING, Status.RESOLVED]})

    assert sorted(subjects(response)) == ["Refund please", "Screen flickers"]
    checked = re.findall(r'<input type="checkbox" name="status" value="(\w+)"[^>]* checked>', response.content.decode())
    assert checked == [Status.PENDING, Status.RESOLVED]


def test_the_statuses_are_one_in_condition_that_the_status_index_answers(bob, queue, client_for):
    """django-filter ORs one equality per chosen status; PostgreSQL reads such a filter row by row, and the open
    queue's count walked 810,000 closed tickets at 1M. One IN is an index condition."""
    with CaptureQueriesContext(connection) as queries:
        client_for(bob).get(reverse("staff_queue"))  # the default: the open statuses

    tickets_reads = [query["sql"] for query in queries.captured_queries if 'FROM "tickets_ticket"' in query["sql"]]
    assert any('"status" IN (' in sql for sql in tickets_reads)
    assert not any(re.search(r'"status" = \S+ OR', sql) for sql in tickets_reads)


def test_queue_filters_tickets_assigned_to_me(bob, queue, client_for):
    response = client_for(bob).get(reverse("staff_queue"), {"assignee": "me"})

    assert subjects(response) == ["Invoice is wrong"]


def test_a_view_of_a_deactivated_agents_tickets_lists_them_as_its_count_says(bob, carol, queue, client_for):
    view = saved_view_create(owner=bob, name="Carol's tickets", conditions={"assignee": str(carol.pk)})
    carol.is_active = False
    carol.save()

    response = client_for(bob).get(reverse("staff_queue"), {"view": view.pk})

    assert subjects(response) == ["Laptop is slow"]
    page = response.content.decode()
    assert 'Carol&#x27;s tickets</span> <span class="queue-view-count">1</span>' in page
    assert f'<option value="{carol.pk}" selected>Carol Admin (no longer an agent)</option>' in page


def test_queue_filters_unassigned_tickets(bob, queue, client_for):
    response = client_for(bob).get(reverse("staff_queue"), {"assignee": "none", "status": list(Status)})

    assert sorted(subjects(response)) == ["Refund please", "Screen flickers"]


def test_queue_filters_by_team(bob, queue, client_for):
    hardware = Team.objects.get(name="Hardware")

    response = client_for(bob).get(reverse("staff_queue"), {"team": hardware.pk})

    assert sorted(subjects(response)) == ["Laptop is slow"]


def test_queue_filters_by_category(bob, queue, category, client_for):
    response = client_for(bob).get(reverse("staff_queue"), {"category": category.pk})

    assert sorted(subjects(response)) == ["Invoice is wrong", "Refund please"]


def test_queue_filters_by_priority(bob, queue, client_for):
    response = client_for(bob).get(reverse("staff_queue"), {"priority": "high"})

    assert subjects(response) == ["Laptop is slow"]


def test_queue_searches_subject_and_description(bob, queue, client_for):
    ticket_documents_rebuild(ticket_ids=[ticket.pk for ticket in queue.values()])  # what the worker does
    by_subject = client_for(bob).get(reverse("staff_queue"), {"q": "refund"})
    by_description = client_for(bob).get(reverse("staff_queue"), {"q": "fans"})

    assert subjects(by_subject) == ["Refund please"]
    assert subjects(by_description) == ["Laptop is slow"]


def test_queue_combines_filters(bob, queue, category, client_for):
    response = client_for(bob).get(reverse("staff_queue"), {"category": category.pk, "assignee": "none"})

    assert subjects(response) == ["Refund please"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("newest", ["Screen flickers", "Refund please", "Laptop is slow", "Invoice is wrong"]),
        ("oldest", ["Invoice is wrong", "Laptop is slow", "Refund please", "Screen flickers"]),
        ("priority", ["Invoice is wrong", "Laptop is slow", "Screen flickers", "Refund please"]),
    ],
)
def test_queue_sorts(bob, queue, client_for, sort, expected):
    response = client_for(bob).get(reverse("staff_queue"), {"sort": sort, "status": list(Status)})

    assert subjects(response) == expected


def test_queue_sorts_recently_updated_first(bob, queue, client_for):
    ticket_update(ticket=queue["laptop"], actor=bob, changes=TicketChanges(tags=["urgent-fix"]))

    response = client_for(bob).get(reverse("staff_queue"), {"sort": "updated"})

    assert subjects(response)[0] == "Laptop is slow"


def test_queue_pages_by_cursor_and_keeps_the_filters_in_page_links(alice, bob, client_for, settings):
    for number in range(53):
        ticket_documents_rebuild(ticket_ids=[ticket_create(requester=alice, subject=f"Problem {number:02}").pk])
    client = client_for(bob)

    first = client.get(reverse("staff_queue"), {"q": "problem", "sort": "oldest"})
    next_link = html.unescape(re.search(r'<a href="\?([^"]+)" rel="next">', first.content.decode()).group(1))
    second = client.get(f"{reverse('staff_queue')}?{next_link}")
    previous_link = html.unescape(re.search(r'<a href="\?([^"]+)" rel="prev">', second.content.decode()).group(1))
    back = client.get(f"{reverse('staff_queue')}?{previous_link}")

    assert subjects(first) == [f"Problem {number:02}" for number in range(50)]
    assert next_link.startswith("q=problem&sort=oldest&cursor=")
    assert subjects(second) == ["Problem 50", "Problem 51", "Problem 52"]
    assert 'rel="next"' not in second.content.decode()
    assert subjects(back) == subjects(first)


def test_a_crafted_cursor_shows_the_first_page_with_a_message(alice, bob, client_for):
    ticket_create(requester=alice, subject="Only one")

    response = client_for(bob).get(reverse("staff_queue"), {"cursor": "eyJvIjpbIi1jcmVhdGVkX2F0Il19:forged"})

    assert response.status_code == 200
    assert subjects(response) == ["Only one"]
    assert "That page link is out of date" in response.content.decode()


def test_the_count_is_capped_rather_than_counting_the_whole_table(alice, bob, client_for, monkeypatch):
    monkeypatch.setattr("queues.selectors.COUNT_CAP", 5)
    monkeypatch.setattr("queues.selectors.capped_counts.__kwdefaults__", {"cap": 5})
    monkeypatch.setattr("queues.selectors.count_text.__kwdefaults__", {"cap": 5})
    for number in range(7):
        ticket_create(requester=alice, subject=f"Problem {number}")

    page = client_for(bob).get(reverse("staff_queue")).content.decode()

    assert "5+ tickets" in page


def test_queue_shows_no_ticket_of_an_unknown_team_instead_of_failing(bob, queue, client_for):
    response = client_for(bob).get(reverse("staff_queue"), {"team": "999999"})

    assert response.status_code == 200
    assert subjects(response) == []
    assert "Select a valid choice" in response.content.decode()


def test_queue_filters_by_my_teams_or_the_other_teams_as_the_api_does(bob, queue, client_for):
    client = client_for(bob)

    mine = client.get(reverse("staff_queue"), {"my_teams": "true"})
    others = client.get(reverse("staff_queue"), {"my_teams": "false"})

    assert sorted(subjects(mine)) == ["Invoice is wrong", "Refund please"]
    assert subjects(others) == ["Laptop is slow"]
    assert '<option value="false" selected>Not my teams</option>' in others.content.decode()


def test_queue_shows_no_ticket_for_a_my_teams_value_that_is_neither_true_nor_false(bob, queue, client_for):
    response = client_for(bob).get(reverse("staff_queue"), {"my_teams": "yes"})

    assert response.status_code == 200
    assert subjects(response) == []
    assert 'id="id_my_teams_error"' in response.content.decode()
    assert "Use true or false." in response.content.decode()


@pytest.mark.parametrize("ticket_count", [3, 60])
def test_queue_runs_the_same_queries_however_many_tickets(
    alice, bob, category, client_for, django_assert_max_num_queries, ticket_count
):
    for number in range(ticket_count):
        ticket = ticket_create(requester=alice, subject=f"Problem {number}", category=category)
        ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(assignee=bob, tags=[f"tag-{number}"]))
    client = client_for(bob)

    # session, user, tickets with their people and last message, tags (in the tickets' query on PostgreSQL), SLA
    # clocks and satisfaction ratings (only when a row has some), the assignee/team/category options (once for all
    # the forms), the agent's teams, saved views, and the capped counts of the page and every view in one query
    with django_assert_max_num_queries(12):
        response = client.get(reverse("staff_queue"), {"status": [Status.NEW], "sort": "priority"})
    assert len(subjects(response)) == min(ticket_count, 50)


def test_the_team_and_category_filters_list_every_option_with_the_chosen_one_selected(bob, queue, client_for):
    hardware = Team.objects.get(name="Hardware")
    page = client_for(bob).get(reverse("staff_queue"), {"team": hardware.pk}).content.decode()
    team_select = re.search(r'<select name="team" id="id_team">(.*?)</select>', page, re.S).group(1)
    category_select = re.search(r'<select name="category" id="id_category">(.*?)</select>', page, re.S).group(1)

    assert re.findall(r"<option [^>]*>([^<]+)</option>", team_select) == ["Any team", "Hardware", "Support"]
    assert f'<option value="{hardware.pk}" selected>Hardware</option>' in team_select
    assert re.findall(r"<option [^>]*>([^<]+)</option>", category_select)[1:] == sorted(
        Category.objects.values_list("name", flat=True)
    )
