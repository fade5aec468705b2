from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from helpdesk.errors import InvalidTransition
from macros.models import Macro
from tickets.etags import ticket_etag
from tickets.models import Comment, Priority, Status, Team, TicketEvent, TicketEventKind
from tickets.services import TicketChanges, comment_create, ticket_change_status, ticket_update


def properties(ticket, **overrides) -> dict[str, object]:
    """The properties form as the page renders it for `ticket`, with some fields changed."""
    ticket.refresh_from_db()
    data = {
        "status": ticket.status,
        "priority": ticket.priority,
        "assignee": ticket.assignee_id or "",
        "team": ticket.team_id or "",
        "category": ticket.category_id or "",
        "tags": ", ".join(ticket.tags.values_list("name", flat=True)),
        "version": ticket_etag(ticket),
    }
    return {**data, **overrides}


def update(client, ticket, **overrides):
    return client.post(reverse("staff_ticket_update", args=[ticket.pk]), properties(ticket, **overrides), follow=True)


def test_staff_ticket_page_shows_the_conversation_with_internal_notes_marked(bob, ticket, client_for):
    comment_create(ticket=ticket, author=bob, body="We are on it")
    comment_create(ticket=ticket, author=bob, body="Check with finance first", internal=True)

    response = client_for(bob).get(reverse("staff_ticket_detail", args=[ticket.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "We are on it" in body
    note = re.search(r'<article class="comment comment-internal".*?</article>', body, re.S).group(0)
    assert "Internal note" in note
    assert "Check with finance first" in note
    assert "We are on it" not in note


@pytest.mark.parametrize("url_name", ["staff_ticket_detail", "staff_ticket_reply", "staff_ticket_update"])
def test_requesters_get_404_on_staff_ticket_pages_even_for_their_own_ticket(alice, ticket, client_for, url_name):
    client = client_for(alice)
    url = reverse(url_name, args=[ticket.pk])

    response = client.get(url) if url_name == "staff_ticket_detail" else client.post(url, {"body": "x"})

    assert response.status_code == 404


def test_staff_ticket_page_is_404_for_a_missing_ticket(bob, client_for, db):
    assert client_for(bob).get(reverse("staff_ticket_detail", args=[424242])).status_code == 404


def test_agent_adds_an_internal_note_the_requester_never_sees(alice, bob, ticket, client_for):
    response = client_for(bob).post(
        reverse("staff_ticket_reply", args=[ticket.pk]),
        {"body": "Refund approved by finance", "mode": "note"},
        follow=True,
    )

    assert "Internal note added." in response.content.decode()
    assert Comment.objects.get(ticket=ticket).internal is True
    requester_page = client_for(alice).get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert "Refund approved" not in requester_page


def test_agent_replies_publicly_with_an_attachment(alice, bob, ticket, client_for):
    upload = SimpleUploadedFile("steps.txt", b"1. restart", content_type="text/plain")

    client_for(bob).post(
        reverse("staff_ticket_reply", args=[ticket.pk]),
        {"body": "Try these steps", "mode": "reply", "attachments": [upload]},
    )

    requester_page = client_for(alice).get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert "Try these steps" in requester_page
    assert "steps.txt" in requester_page
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None


def test_empty_reply_shows_an_error_and_sends_nothing(bob, ticket, client_for):
    response = client_for(bob).post(reverse("staff_ticket_reply", args=[ticket.pk]), {"body": ""})

    assert response.status_code == 200
    assert 'id="id_body_error"' in response.content.decode()
    assert not Comment.objects.exists()


def test_status_choices_are_the_current_status_and_the_allowed_next_ones(bob, ticket, client_for):
    ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED)

    body = client_for(bob).get(reverse("staff_ticket_detail", args=[ticket.pk])).content.decode()

    select = re.search(r'<select name="status".*?</select>', body, re.S).group(0)
    # The current status is sent as "unchanged" (helpdesk.forms.ShownValueSelect).
    options = re.findall(r'<option value="(\w+)"( selected)?>([^<]+)<', select)
    assert options == [("open", "", "Open"), ("unchanged", " selected", "Resolved"), ("closed", "", "Closed")]


def test_properties_form_changes_each_field_and_records_each_change(bob, carol, ticket, client_for):
    hardware = Team.objects.create(name="Hardware")

    response = update(
        client_for(bob),
        ticket,
        status=Status.OPEN,
        priority=Priority.HIGH,
        assignee=carol.pk,
        team=hardware.pk,
        tags="VIP, refund",
    )

    assert "Ticket updated." in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee, ticket.team) == (
        Status.OPEN,
        Priority.HIGH,
        carol,
        hardware,
    )
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["refund", "vip"]
    changes = {
        event.kind: (event.old_value, event.new_value) for event in TicketEvent.objects.filter(ticket=ticket, actor=bob)
    }
    assert changes == {
        TicketEventKind.STATUS: ("new", "open"),
        TicketEventKind.PRIORITY: ("normal", "high"),
        TicketEventKind.ASSIGNEE: ("", "Carol Admin"),
        TicketEventKind.TEAM: ("Support", "Hardware"),
        TicketEventKind.TAGS: ("", "refund, vip"),
    }


def test_changes_show_up_in_the_timeline(bob, ticket, client_for):
    response = update(client_for(bob), ticket, priority=Priority.URGENT)

    timeline = response.content.decode().split('id="timeline-heading"')[1]
    assert "Priority changed" in timeline
    assert "Bob Agent" in timeline
    assert '<span class="event-old">normal</span> → <span class="event-new">urgent</span>' in timeline


def test_saving_only_the_priority_records_only_a_priority_event(bob, ticket, client_for):
    ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(assignee=bob, tags=["vip"]))
    before = TicketEvent.objects.count()

    update(client_for(bob), ticket, priority=Priority.LOW)

    new_events = TicketEvent.objects.order_by("id")[before:]
    assert [event.kind for event in new_events] == [TicketEventKind.PRIORITY]


def test_saving_without_changes_records_nothing(bob, ticket, client_for):
    before = TicketEvent.objects.count()

    response = update(client_for(bob), ticket)

    assert "Nothing to save" in response.content.decode()
    assert TicketEvent.objects.count() == before


def test_unassigning_a_ticket(bob, ticket, client_for):
    ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(assignee=bob))

    update(client_for(bob), ticket, assignee="")

    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_invalid_transition_shows_an_error_and_changes_nothing(bob, ticket, client_for):
    ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED)
    before = TicketEvent.objects.count()

    response = update(client_for(bob), ticket, status=Status.PENDING, priority=Priority.URGENT)

    body = response.content.decode()
    assert response.status_code == 200
    assert "The ticket was not updated" in body
    assert 'id="id_status_error"' in body
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.RESOLVED, Priority.NORMAL)
    assert TicketEvent.objects.count() == before


def test_a_refusal_from_the_service_is_shown_on_the_page_not_as_a_server_error(bob, ticket, client_for, monkeypatch):
    # The form catches what it can; a concurrent edit can still make the service refuse.
    def refuse(**kwargs):
        raise InvalidTransition("A ticket cannot move from closed to pending.", details={"status": ["Nope."]})

    monkeypatch.setattr("tickets.views.staff.ticket_update", refuse)

    response = update(client_for(bob), ticket, status=Status.OPEN)

    body = response.content.decode()
    assert response.status_code == 200
    assert "The ticket was not updated. A ticket cannot move from closed to pending." in body
    assert 'id="id_status_error"' in body


def test_invalid_tag_is_shown_next_to_the_tags_field(bob, ticket, client_for):
    response = update(client_for(bob), ticket, tags="ok, not/valid")

    body = response.content.decode()
    assert 'id="id_tags_error"' in body
    assert "is not a valid tag" in body
    assert not ticket.tags.exists()


def test_staff_ticket_page_queries_do_not_grow_with_the_conversation(
    bob, ticket, client_for, django_assert_max_num_queries
):
    for number in range(10):
        comment_create(ticket=ticket, author=bob, body=f"Note {number}", internal=number % 2 == 0)
        Macro.objects.create(name=f"Macro {number}", body="Hi {{ requester.name }}", owner=bob, set_team=ticket.team)
    client = client_for(bob)

    # session, user, ticket, tags, comments, attachments (the opening message's and the comments' in one query),
    # events, assignee/team/category options, the ticket's mail (inbound: the opening mail and held mail), SLA
    # clocks, satisfaction ratings, the macros for the picker, the linked tickets, the requester's other tickets
    with django_assert_max_num_queries(16):
        assert client.get(reverse("staff_ticket_detail", args=[ticket.pk])).status_code == 200


def test_a_form_filled_in_before_someone_else_saved_changes_nothing(bob, carol, ticket, client_for):
    stale = properties(ticket, status=Status.RESOLVED)  # bob opened the page...
    ticket_update(ticket=ticket, actor=carol, changes=TicketChanges(priority=Priority.URGENT))  # ...carol saved

    response = client_for(bob).post(reverse("staff_ticket_update", args=[ticket.pk]), stale, follow=True)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.NEW, Priority.URGENT)  # carol's change survives
    assert "Someone changed this ticket while you were editing it" in response.content.decode()
    assert not TicketEvent.objects.filter(actor=bob).exists()
