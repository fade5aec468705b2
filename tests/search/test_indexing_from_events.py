"""The worker keeps each ticket's search document in step with the ticket, from its events; twice is harmless."""

from __future__ import annotations

from django.urls import reverse

from search.models import TicketDocument
from search.services import ticket_document_rebuild
from tests.search.helpers import found
from tickets.models import Tag
from tickets.services import (
    TicketChanges,
    comment_create,
    ticket_create,
    ticket_edit_content,
    ticket_merge,
    ticket_update,
)


def test_a_ticket_is_searchable_once_the_worker_has_its_event_and_not_before(api_client_for, alice, bob, worker):
    client = api_client_for(bob)
    ticket = ticket_create(requester=alice, subject="Projector flickers")
    assert found(client, "projector") == []  # the event is not committed yet: nothing indexed

    ticket_document_rebuild(ticket_id=ticket.pk)  # what the worker's handler runs

    assert found(client, "projector") == [ticket.pk]


def test_replies_notes_edits_and_tags_are_indexed_from_their_events(api_client_for, alice, bob, worker):
    client = api_client_for(bob)
    with worker():
        ticket = ticket_create(requester=alice, subject="Projector flickers")
    with worker():
        comment_create(ticket=ticket, author=alice, body="It happens with the HDMI cable", internal=False)
    with worker():
        comment_create(ticket=ticket, author=bob, body="Warranty expired in March", internal=True)
    with worker():
        ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(tags=["conference-room"]))
    with worker():
        ticket_edit_content(ticket=ticket, actor=bob, subject="Beamer flickers", description="Room 4")

    assert found(client, "hdmi cable") == [ticket.pk]
    assert found(client, "warranty") == [ticket.pk]
    assert found(client, "conference-room") == [ticket.pk]
    assert found(client, "beamer room") == [ticket.pk]
    assert found(client, "projector") == []  # the old subject is gone from the document


def test_rebuilding_twice_gives_the_same_document(alice, bob, worker):
    with worker():
        ticket = ticket_create(requester=alice, subject="Projector flickers", description="Since Monday")
        comment_create(ticket=ticket, author=bob, body="Checked the cable", internal=True)
    before = TicketDocument.objects.values(
        "subject", "requester_email", "public_text", "internal_text", "public_vector", "staff_vector"
    ).get()

    ticket_document_rebuild(ticket_id=ticket.pk)
    ticket_document_rebuild(ticket_id=ticket.pk)

    after = TicketDocument.objects.values(
        "subject", "requester_email", "public_text", "internal_text", "public_vector", "staff_vector"
    ).get()
    assert after == before
    assert TicketDocument.objects.count() == 1
    assert before["internal_text"] == "Checked the cable"
    assert "Checked" not in before["public_text"]


def test_a_deleted_tickets_document_goes_with_it(api_client_for, alice, bob, worker):
    with worker():
        ticket = ticket_create(requester=alice, subject="Projector flickers")
    pk = ticket.pk
    ticket.delete()

    ticket_document_rebuild(ticket_id=pk)

    assert not TicketDocument.objects.exists()
    assert found(api_client_for(bob), "projector") == []


def test_a_merge_moves_the_conversation_in_the_index_too(api_client_for, alice, bob, worker):
    client = api_client_for(bob)
    with worker():
        source = ticket_create(requester=alice, subject="Projector flickers")
        target = ticket_create(requester=alice, subject="Beamer broken")
        comment_create(ticket=source, author=alice, body="It happens with the HDMI cable", internal=False)
    assert found(client, "hdmi") == [source.pk]

    with worker():
        ticket_merge(source=source, target=target, actor=bob)

    assert found(client, "hdmi") == [target.pk]


def test_a_tag_renamed_in_the_admin_is_searched_by_its_new_name(api_client_for, client_for, alice, bob, carol, worker):
    with worker():
        ticket = ticket_create(requester=alice, subject="Projector flickers")
        ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(tags=["hardware"]))
    tag = Tag.objects.get(name="hardware")

    with worker():
        response = client_for(carol).post(reverse("admin:tickets_tag_change", args=[tag.pk]), {"name": "equipment"})

    assert response.status_code == 302
    client = api_client_for(bob)
    assert found(client, "equipment") == [ticket.pk]
    assert found(client, "hardware") == []
