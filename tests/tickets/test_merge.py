"""Merging a ticket into another: the conversation, files and followers move; the merged ticket is closed with a
pointer; both timelines record it; the requester is told."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User, forfeited_address
from helpdesk.errors import InvalidTransition, InvalidValue, NotPermitted
from tickets.models import Attachment, Status, TicketEvent, TicketEventKind
from tickets.services import comment_create, ticket_create, ticket_merge


@pytest.fixture
def duplicate(alice, category):
    return ticket_create(
        requester=alice,
        subject="Invoice wrong again",
        description="Same problem.",
        category=category,
        files=[SimpleUploadedFile("invoice.pdf", b"%PDF", content_type="application/pdf")],
    )


def test_merge_moves_the_conversation_and_files_and_closes_the_merged_ticket(alice, bob, ticket, duplicate):
    comment_create(ticket=duplicate, author=alice, body="Any news?")

    ticket_merge(source=duplicate, target=ticket, actor=bob)

    duplicate.refresh_from_db()
    assert duplicate.status == Status.CLOSED
    assert duplicate.merged_into == ticket
    bodies = list(ticket.comments.values_list("body", flat=True))
    assert bodies[0].startswith(f"(Merged from #{duplicate.pk}: Invoice wrong again)")
    assert "Any news?" in bodies
    assert not ticket.comments.filter(internal=True).exists()
    assert Attachment.objects.get().ticket == ticket


def test_the_requester_is_told_in_public_on_the_merged_ticket(
    alice, bob, ticket, duplicate, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_merge(source=duplicate, target=ticket, actor=bob)

    notice = duplicate.comments.get()
    assert notice.internal is False
    assert f"merged into request #{ticket.pk}" in notice.body
    assert any("alice@example.com" in sent.to for sent in mailoutbox)


def test_both_timelines_record_the_merge(bob, ticket, duplicate):
    ticket_merge(source=duplicate, target=ticket, actor=bob)

    source_event = TicketEvent.objects.get(ticket=duplicate, kind=TicketEventKind.MERGED)
    target_event = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.MERGED)
    assert (source_event.field, source_event.new_value) == ("merged_into", f"#{ticket.pk}")
    assert (target_event.field, target_event.new_value) == ("merged_from", f"#{duplicate.pk}")
    assert source_event.internal is False


def test_across_requesters_moved_messages_become_internal_and_the_requester_follows(
    alice, mallory, bob, ticket, category
):
    other = ticket_create(requester=mallory, subject="Mine too", description="Mallory's words", category=category)

    ticket_merge(source=other, target=ticket, actor=bob)

    assert ticket.comments.get(body__contains="Mallory's words").internal is True
    assert mallory in ticket.followers.all()
    assert TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.MERGED).internal is True


def test_followers_move_too(alice, bob, carol, ticket, duplicate):
    duplicate.followers.add(carol)

    ticket_merge(source=duplicate, target=ticket, actor=bob)

    assert list(ticket.followers.all()) == [carol]


def test_an_account_at_a_reserved_address_does_not_become_a_follower(alice, bob, mallory, ticket, category):
    # A requester that lost its address (accounts.services.email_address_claim) before this rule held its tickets.
    theirs = ticket_create(requester=mallory, subject="Mine", category=category)
    User.objects.filter(pk=mallory.pk).update(email=forfeited_address(mallory.pk), is_active=False)

    ticket_merge(source=theirs, target=ticket, actor=bob)

    assert not ticket.followers.exists()


def test_a_ticket_cannot_be_merged_into_itself(bob, ticket):
    with pytest.raises(InvalidValue):
        ticket_merge(source=ticket, target=ticket, actor=bob)


def test_a_merged_ticket_cannot_be_merged_again(bob, ticket, duplicate, alice, category):
    third = ticket_create(requester=alice, subject="Third", category=category)
    ticket_merge(source=duplicate, target=ticket, actor=bob)

    with pytest.raises(InvalidValue):
        ticket_merge(source=duplicate, target=third, actor=bob)
    with pytest.raises(InvalidValue, match="merge into that one"):
        ticket_merge(source=third, target=duplicate, actor=bob)


def test_merging_into_a_closed_ticket_is_refused_and_nothing_moves(bob, ticket, duplicate):
    ticket.status = Status.CLOSED
    ticket.save()

    with pytest.raises(InvalidTransition):
        ticket_merge(source=duplicate, target=ticket, actor=bob)

    duplicate.refresh_from_db()
    assert duplicate.merged_into is None
    assert not ticket.comments.exists()


def test_requesters_may_not_merge(alice, ticket, duplicate):
    with pytest.raises(NotPermitted):
        ticket_merge(source=duplicate, target=ticket, actor=alice)


def test_after_a_merge_search_finds_the_moved_words_on_the_target(
    alice, bob, ticket, duplicate, django_capture_on_commit_callbacks
):
    from search.selectors import ticket_ids_matching

    with django_capture_on_commit_callbacks(execute=True):
        comment_create(ticket=duplicate, author=alice, body="zanzibar printer")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_merge(source=duplicate, target=ticket, actor=bob)

    matching = set(ticket_ids_matching("zanzibar", include_internal=True).values_list("pk", flat=True))
    assert ticket.pk in matching


def test_a_merge_across_requesters_does_not_tell_one_requester_the_others_subject(
    alice, mallory, bob, ticket, category, api_client_for
):
    """Mallory's ticket merged into Alice's: the notice on Mallory's ticket must not quote Alice's subject."""
    mallorys = ticket_create(requester=mallory, subject="Mine too", description="Mallory's words", category=category)

    ticket_merge(source=mallorys, target=ticket, actor=bob)

    response = api_client_for(mallory).get(f"/api/v1/tickets/{mallorys.pk}/comments/")
    assert response.status_code == 200
    assert ticket.subject not in response.content.decode()
