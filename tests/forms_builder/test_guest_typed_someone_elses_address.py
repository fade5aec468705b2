"""A guest may type anyone's address into a public form. The ticket is filed under that address's account (the
guest journey stays), but the guest's private link shows nothing of that account beyond this one ticket, staff see
"Sender not verified" on the ticket in the queue and on its page, and staff can revoke the link and mail a new one
to the address's owner."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from accounts.services import user_update
from tests.forms_builder.examples import bug_report_form
from tests.forms_builder.pages_support import answers, fill_url
from tickets.models import Ticket
from tickets.services import comment_create, ticket_merge

MARK = "Sender not verified"


@pytest.fixture
def public_form(category, carol):
    return bug_report_form(category=category, admin=carol, public=True)


def file_as_guest(form, email: str) -> tuple[Ticket, str]:
    data = {**answers(product="web", summary="Where is my refund"), "requester-email": email}
    response = Client().post(fill_url(form), data)
    path = re.search(r'href="https?://[^/"]+(/forms/ticket/[^/"]+/)"', response.content.decode()).group(1)
    return Ticket.objects.get(subject__contains="refund"), path


def test_the_ticket_lands_in_the_accounts_tickets_marked_as_unverified(public_form, alice):
    ticket, _ = file_as_guest(public_form, alice.email)

    assert ticket.requester == alice
    assert ticket.sender_verified is False


def test_the_private_link_never_shows_the_accounts_name(public_form, alice, bob):
    ticket, path = file_as_guest(public_form, alice.email)
    comment_create(ticket=ticket, author=alice, body="I did not send this.")
    comment_create(ticket=ticket, author=bob, body="We are looking into it.")

    page = Client().get(path).content.decode()

    assert alice.name not in page and alice.email not in page
    assert "Requester" in page
    assert "We are looking into it." in page


def test_staff_see_the_mark_in_the_queue_and_on_the_ticket_page(public_form, alice, bob, client_for, category):
    guest_ticket, _ = file_as_guest(public_form, alice.email)
    staff = client_for(bob)

    queue = staff.get(reverse("staff_queue")).content.decode()
    page = staff.get(reverse("staff_ticket_detail", args=[guest_ticket.pk])).content.decode()

    assert queue.count(MARK) == 1
    assert "Sender not verified (submitted without signing in)" in page


def test_a_signed_in_submission_carries_no_mark(public_form, alice, bob, client_for):
    client_for(alice).post(fill_url(public_form), answers(product="web", summary="Signed in"))
    ticket = Ticket.objects.get(subject__contains="Signed in")

    assert ticket.sender_verified is True
    assert MARK not in client_for(bob).get(reverse("staff_ticket_detail", args=[ticket.pk])).content.decode()


def test_staff_revoke_the_link_and_the_addresss_owner_gets_a_new_one(
    public_form, alice, bob, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    ticket, old_path = file_as_guest(public_form, alice.email)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):  # the worker's part: the mail with the new link
        response = client_for(bob).post(reverse("staff_private_link_reissue", args=[ticket.pk]), follow=True)
        assert Client().get(old_path).status_code == 404  # dead at once, before any mail goes out

    assert "The private link was revoked" in response.content.decode()
    [message] = mailoutbox
    assert message.to == [alice.email]
    new_path = re.search(r"http://[^/\s]+(/forms/ticket/[^/\s]+/)", message.body).group(1)
    assert new_path != old_path
    assert "Where is my refund" in Client().get(new_path).content.decode()


def test_only_staff_may_revoke_a_private_link(public_form, alice, mallory, client_for):
    ticket, path = file_as_guest(public_form, alice.email)

    for user in (alice, mallory):
        assert client_for(user).post(reverse("staff_private_link_reissue", args=[ticket.pk])).status_code == 404
    assert Client().get(path).status_code == 200


def test_a_private_link_never_shows_internal_notes_even_when_the_address_belongs_to_staff(
    public_form, mallory, bob, carol
):
    """A guest typed Mallory's address; Mallory is later made an agent. The guest's link still shows only what a
    requester sees."""
    guest_ticket, path = file_as_guest(public_form, mallory.email)
    user_update(user=mallory, actor=carol, role=Role.AGENT)
    comment_create(ticket=guest_ticket, author=bob, body="Internal: suspected refund fraud", internal=True)

    page = Client().get(path)

    assert page.status_code == 200
    assert "suspected refund fraud" not in page.content.decode()


def test_merging_a_requesters_ticket_into_a_guests_ticket_filed_under_their_address_keeps_it_from_the_guest(
    public_form, alice, bob, ticket
):
    """A stranger typed Alice's address into a public form and holds that ticket's private link. An agent merges
    Alice's own ticket into it ("same requester"): the stranger must not read Alice's own conversation."""
    comment_create(ticket=ticket, author=bob, body="Your refund went to the account ending 9911.")
    guest_ticket, path = file_as_guest(public_form, alice.email)
    assert guest_ticket.requester == alice and guest_ticket.sender_verified is False

    ticket_merge(source=ticket, target=guest_ticket, actor=bob)

    page = Client().get(path).content.decode()
    assert "ending 9911" not in page
    assert "Charged twice." not in page
