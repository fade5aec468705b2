"""Bulk actions from the queue: each ticket goes through the triage service, and the result page says what changed
and what was refused, and why."""

from __future__ import annotations

import html
import re
from urllib.parse import unquote

import pytest
from django.urls import reverse

from forms_builder.services import submission_create
from queues.services import BulkChanges, saved_view_create, tickets_bulk_update
from tests.forms_builder.examples import bug_report_form
from tickets.models import Priority, Status, Ticket, TicketEvent
from tickets.services import TicketChanges, ticket_update


def bulk(client, tickets, **fields):
    data = {"ticket": [ticket.pk for ticket in tickets], "query": "", **fields}
    return client.post(reverse("queue_bulk"), data)


def ticked(page: str) -> set[int]:
    """The ids of the queue's rows whose checkbox is ticked."""
    boxes = re.findall(r'<input type="checkbox" name="ticket"[^>]*>', page)
    return {int(re.search(r'value="(\d+)"', box).group(1)) for box in boxes if " checked" in box}


def bulk_form_html(page: str) -> str:
    return re.search(r'<form[^>]*id="bulk".*?</form>', page, flags=re.DOTALL).group(0)


def test_an_agent_assigns_selected_tickets_to_themselves_with_a_priority(bob, desk, client_for):
    chosen = [desk["unassigned"], desk["carols"]]

    response = bulk(client_for(bob), chosen, assignee="me", priority=Priority.URGENT)

    assert response.status_code == 200
    assert "Changed 2 tickets" in response.content.decode()
    for ticket in chosen:
        ticket.refresh_from_db()
        assert (ticket.assignee, ticket.priority) == (bob, Priority.URGENT)
        assert TicketEvent.objects.filter(ticket=ticket, field="assignee", actor=bob).exists()
    assert Ticket.objects.get(pk=desk["mine"].pk).priority == Priority.HIGH


def test_tickets_the_workflow_refuses_are_left_unchanged_and_named_with_the_reason(bob, desk, client_for):
    chosen = [desk["unassigned"], desk["closed_long_ago"], desk["mine"]]

    page = bulk(client_for(bob), chosen, status=Status.PENDING, priority=Priority.LOW).content.decode()

    assert "Changed 2 tickets" in page
    assert "1 ticket could not move to pending: closed" in page
    closed = Ticket.objects.get(pk=desk["closed_long_ago"].pk)
    assert (closed.status, closed.priority) == (Status.CLOSED, Priority.NORMAL)
    assert Ticket.objects.get(pk=desk["unassigned"].pk).status == Status.PENDING


def test_the_refusal_groups_tickets_by_reason(bob, desk):
    ticket_update(ticket=desk["mine"], actor=bob, changes=TicketChanges(status=Status.CLOSED))
    ids = [desk["mine"].pk, desk["closed_long_ago"].pk, desk["solved"].pk]

    outcome = tickets_bulk_update(ticket_ids=ids, actor=bob, changes=BulkChanges(status=Status.PENDING))

    assert outcome.refused == {
        "could not move to pending: closed": [desk["mine"].pk, desk["closed_long_ago"].pk],
        "could not move to pending: resolved": [desk["solved"].pk],
    }
    assert outcome.changed == []


def test_tags_are_added_and_removed_keeping_the_others(bob, desk, client_for):
    ticket_update(ticket=desk["mine"], actor=bob, changes=TicketChanges(tags=["billing", "old"]))

    bulk(client_for(bob), [desk["mine"], desk["unassigned"]], add_tags="VIP, refund", remove_tags="old")

    assert sorted(desk["mine"].tags.values_list("name", flat=True)) == ["billing", "refund", "vip"]
    assert sorted(desk["unassigned"].tags.values_list("name", flat=True)) == ["refund", "vip"]


def test_tickets_already_as_asked_are_reported_and_not_audited_again(bob, desk, client_for):
    events_before = TicketEvent.objects.count()

    page = bulk(client_for(bob), [desk["mine"]], assignee=str(bob.pk)).content.decode()

    assert "1 ticket already looked like that" in page
    assert TicketEvent.objects.count() == events_before


def test_team_and_category_are_set_or_cleared(bob, team, category, desk, client_for):
    bulk(client_for(bob), [desk["unassigned"]], team=str(team.pk), category=str(category.pk))
    ticket = Ticket.objects.get(pk=desk["unassigned"].pk)
    assert (ticket.team, ticket.category) == (team, category)

    bulk(client_for(bob), [desk["unassigned"]], team="none", category="none")
    ticket.refresh_from_db()
    assert (ticket.team, ticket.category) == (None, None)


def test_all_matching_applies_to_every_ticket_the_filters_match(bob, desk, client_for):
    client = client_for(bob)
    page = client.get(reverse("staff_queue"), {"view": "unassigned"}).content.decode()
    query = html.unescape(re.search(r'id="bulk".*?name="query" value="([^"]*)"', page, flags=re.DOTALL).group(1))

    response = client.post(reverse("queue_bulk"), {"all_matching": "on", "query": query, "assignee": "me"})

    assert "Changed 1 ticket" in response.content.decode()
    assert Ticket.objects.get(pk=desk["unassigned"].pk).assignee == bob
    assert Ticket.objects.get(pk=desk["carols"].pk).assignee_id != bob.pk


def test_all_matching_refuses_more_than_the_limit(bob, desk, client_for, monkeypatch):
    monkeypatch.setattr("queues.views.BULK_LIMIT", 2)

    response = client_for(bob).post(
        reverse("queue_bulk"), {"all_matching": "on", "query": "status=new", "priority": "10"}, follow=True
    )

    assert "more than 2 tickets match" in response.content.decode()
    assert not Ticket.objects.filter(priority=Priority.LOW).exists()


def test_all_matching_a_view_deleted_since_changes_nothing(bob, desk, client_for):
    view = saved_view_create(owner=bob, name="Hot", conditions={"priority": "high"})
    query = f"view={view.pk}"
    view.delete()

    response = client_for(bob).post(
        reverse("queue_bulk"), {"all_matching": "on", "query": query, "priority": "10"}, follow=True
    )

    assert (
        "Nothing was changed: the view it was based on no longer exists or is not shared with you."
        in response.content.decode()
    )
    assert not Ticket.objects.filter(priority=Priority.LOW).exists()


def test_nothing_selected_or_nothing_chosen_changes_nothing(bob, desk, client_for):
    client = client_for(bob)

    nothing_selected = client.post(reverse("queue_bulk"), {"query": "", "priority": "10"}, follow=True)
    nothing_chosen = client.post(reverse("queue_bulk"), {"query": "", "ticket": [desk["mine"].pk]}, follow=True)

    assert "Select some tickets first" in nothing_selected.content.decode()
    assert "choose what to change first" in nothing_chosen.content.decode()
    assert not Ticket.objects.filter(priority=Priority.LOW).exists()


@pytest.mark.parametrize("value", ["abc", "1" * 40, "-3", "1.5", "\x00"])
def test_odd_ticket_ids_are_a_message_not_a_server_error(bob, desk, client_for, value):
    response = client_for(bob).post(reverse("queue_bulk"), {"query": "", "ticket": [value], "priority": "10"})

    assert response.status_code in (302, 400)
    assert not Ticket.objects.filter(priority=Priority.LOW).exists()


def test_requesters_get_404_and_change_nothing(mallory, desk, client_for):
    response = bulk(client_for(mallory), [desk["unassigned"]], status=Status.CLOSED)

    assert response.status_code == 404
    assert Ticket.objects.get(pk=desk["unassigned"].pk).status == Status.NEW


def test_anonymous_visitors_are_sent_to_login(desk, client_for):
    response = bulk(client_for(None), [desk["unassigned"]], status=Status.CLOSED)

    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    assert Ticket.objects.get(pk=desk["unassigned"].pk).status == Status.NEW


def test_admins_use_bulk_actions_too(carol, desk, client_for):
    bulk(client_for(carol), [desk["unassigned"]], status=Status.OPEN)

    assert Ticket.objects.get(pk=desk["unassigned"].pk).status == Status.OPEN


def test_selected_tickets_are_merged_into_one_through_the_merge_service(bob, desk, client_for):
    target = desk["mine"]

    page = bulk(
        client_for(bob), [desk["unassigned"], desk["carols"], target], merge_into=f"#{target.pk}"
    ).content.decode()

    assert "Merged 2 tickets into" in page and "1 ticket kept as the target" in page
    for name in ("unassigned", "carols"):
        merged = Ticket.objects.get(pk=desk[name].pk)
        assert (merged.merged_into_id, merged.status) == (target.pk, Status.CLOSED)
    assert Ticket.objects.get(pk=target.pk).merged_into_id is None


def test_merging_into_a_closed_ticket_is_refused_with_the_reason(bob, desk, client_for):
    target = desk["closed_long_ago"]

    page = bulk(client_for(bob), [desk["unassigned"]], merge_into=str(target.pk)).content.decode()

    assert f"1 ticket could not be merged into #{target.pk}: #{target.pk} is closed" in page
    assert Ticket.objects.get(pk=desk["unassigned"].pk).merged_into_id is None


def test_merge_goes_on_its_own_and_into_a_ticket_that_exists(bob, desk, client_for):
    client = client_for(bob)

    with_others = bulk(client, [desk["unassigned"]], merge_into=str(desk["mine"].pk), priority="10")
    assert "Merge on its own" in client.get(with_others.url).content.decode()
    missing = bulk(client, [desk["unassigned"]], merge_into="999999")
    assert "There is no ticket #999999" in client.get(missing.url).content.decode()
    assert Ticket.objects.get(pk=desk["unassigned"].pk).merged_into_id is None


def test_a_refused_bulk_form_comes_back_once_with_its_ticks_its_values_and_the_reason(bob, desk, client_for):
    client = client_for(bob)
    chosen = [desk["unassigned"], desk["carols"]]
    form = {"ticket": [ticket.pk for ticket in chosen], "query": "", "priority": "10", "merge_into": desk["mine"].pk}

    response = client.post(reverse("queue_bulk"), form, follow=True)

    page = response.content.decode()
    assert "Merge on its own" in page
    assert ticked(page) == {ticket.pk for ticket in chosen}
    shown = bulk_form_html(page)
    assert '<details class="queue-bulk" open>' in shown
    assert '<option value="10" selected>Low</option>' in shown
    assert f'name="merge_into" value="{desk["mine"].pk}"' in shown
    assert not Ticket.objects.filter(priority=Priority.LOW).exists()
    later = client.get(reverse("staff_queue")).content.decode()  # shown once: the next visit is the usual queue
    assert ticked(later) == set()
    assert '<details class="queue-bulk">' in bulk_form_html(later)


def test_a_refusal_returns_to_the_page_of_the_queue_the_rows_were_ticked_on(bob, desk, client_for, monkeypatch):
    monkeypatch.setattr("queues.views.QUEUE_PAGE_SIZE", 2)
    client = client_for(bob)
    first = client.get(reverse("staff_queue")).content.decode()
    cursor = unquote(re.search(r'href="\?cursor=([^"&]+)" rel="next"', first).group(1))
    second = bulk_form_html(client.get(reverse("staff_queue"), {"cursor": cursor}).content.decode())
    sent = {name: html.unescape(value) for name, value in re.findall(r'name="(query|cursor)" value="([^"]*)"', second)}

    response = client.post(reverse("queue_bulk"), {**sent, "ticket": [desk["unassigned"].pk]}, follow=True)

    page = response.content.decode()
    assert "choose what to change first" in page
    assert ticked(page) == {desk["unassigned"].pk}


def test_all_matching_a_form_changes_only_that_forms_tickets(bob, alice, carol, category, desk, client_for):
    form = bug_report_form(category, admin=carol)
    submission, _token = submission_create(
        form=form, answers={"product": "web", "summary": "Login fails"}, requester=alice, actor=alice
    )
    client = client_for(bob)
    page = client.get(reverse("staff_queue"), {"form": form.pk}).content.decode()
    query = html.unescape(re.search(r'id="bulk".*?name="query" value="([^"]*)"', page, flags=re.DOTALL).group(1))

    response = client.post(reverse("queue_bulk"), {"all_matching": "on", "query": query, "priority": "10"})

    assert "Changed 1 ticket" in response.content.decode()
    assert list(Ticket.objects.filter(priority=Priority.LOW)) == [submission.ticket]
