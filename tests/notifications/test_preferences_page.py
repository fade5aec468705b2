"""Each user turns each kind of mail on or off on an account page, reachable from the account menu; staff see the
kinds about their work, with their defaults."""

from __future__ import annotations

from django.core import mail
from django.urls import reverse

from tickets.services import TicketChanges, comment_create, ticket_update

PAGE = reverse("notification_preferences")


def test_the_page_is_in_the_account_menu(alice, client_for):
    page = client_for(alice).get(reverse("api_tokens")).content.decode()

    assert f'href="{PAGE}"' in page


def test_a_requester_sees_only_the_mails_about_their_requests(alice, client_for):
    page = client_for(alice).get(PAGE).content.decode()

    assert "A reply from the support team" in page and "Ticket resolved" in page
    assert "A ticket assigned to me" not in page


def test_staff_see_their_kinds_with_the_defaults(bob, client_for):
    page = client_for(bob).get(PAGE).content.decode()

    assert "A ticket assigned to me" in page and "New unassigned ticket in my team" in page
    assert "Default: on." in page
    assert page.count('type="checkbox"') == 8 and page.count("checked") == 8


def test_a_requester_who_turns_replies_off_gets_none(worker, ticket, alice, bob, client_for):
    response = client_for(alice).post(PAGE, {"ticket_created": "on", "resolved": "on", "csat_survey": "on"})
    assert response.status_code == 302

    worker(lambda: comment_create(ticket=ticket, author=bob, body="Answer"))

    assert mail.outbox == []
    assert 'name="public_reply"' in client_for(alice).get(PAGE).content.decode()


def test_an_agent_who_turns_assignments_off_gets_none(worker, ticket, bob, carol, client_for):
    kept = {"requester_replied": "on", "team_new_ticket": "on", "sla_escalation": "on"}
    client_for(bob).post(PAGE, kept)

    worker(lambda: ticket_update(ticket=ticket, actor=carol, changes=TicketChanges(assignee=bob)))

    assert mail.outbox == []


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(PAGE)

    assert response.status_code == 302 and reverse("account_login") in response.url
