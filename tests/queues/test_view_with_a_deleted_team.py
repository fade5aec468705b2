"""A view whose condition names something since deleted (its team) matches no ticket, never every ticket; a view
shared with a team that is deleted stays its owner's."""

from __future__ import annotations

import html
import re

from django.urls import reverse

from queues.services import saved_view_create
from tickets.conditions import ticket_matches, tickets_matching
from tickets.models import Team, Ticket


def hardware_view(bob):
    hardware = Team.objects.create(name="Hardware")
    hardware.members.add(bob)
    view = saved_view_create(owner=bob, name="Hardware queue", conditions={"team": str(hardware.pk)})
    hardware.delete()
    return view


def test_a_saved_view_of_a_deleted_team_shows_no_other_teams_tickets(bob, ticket, client_for):
    view = hardware_view(bob)

    body = client_for(bob).get(reverse("staff_queue"), {"view": view.pk}).content.decode()

    assert "Invoice is wrong" not in body  # alice's ticket is in the Support team
    assert 'Hardware queue</span> <span class="queue-view-count">0</span>' in body


def test_the_export_of_a_deleted_team_lists_no_ticket(bob, ticket, client_for):
    view = hardware_view(bob)

    response = client_for(bob).get(reverse("queue_export"), {"view": view.pk})

    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 1  # the header only


def test_bulk_all_matching_on_the_view_of_a_deleted_team_changes_nothing(bob, ticket, client_for):
    view = hardware_view(bob)
    client = client_for(bob)
    page = client.get(reverse("staff_queue"), {"view": view.pk}).content.decode()
    query = html.unescape(re.search(r'name="query" value="([^"]*)"', page).group(1))

    client.post(reverse("queue_bulk"), {"all_matching": "on", "query": query, "priority": "40"})

    ticket.refresh_from_db()
    assert ticket.priority != 40


def test_a_view_shared_with_a_deleted_team_stays_its_owners_personal_view(bob, team, client_for):
    view = saved_view_create(owner=bob, name="Support's urgent", conditions={"priority": "urgent"}, team=team)

    team.delete()

    view.refresh_from_db()
    assert view.team is None
    body = client_for(bob).get(reverse("staff_queue"), {"view": view.pk}).content.decode()
    assert "Support&#x27;s urgent" in body


def test_stored_conditions_naming_a_deleted_team_match_no_ticket(bob, ticket):
    hardware = Team.objects.create(name="Hardware")
    conditions = {"team": str(hardware.pk)}
    hardware.delete()

    # What rules and SLA policies ask of their stored conditions: a deleted team is no ticket's team.
    assert not ticket_matches(conditions, ticket)
    assert not tickets_matching(conditions, Ticket.objects.all()).exists()
