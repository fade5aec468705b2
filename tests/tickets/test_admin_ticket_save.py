"""Saving a ticket in the admin goes through tickets.services, so every change is in the audit trail."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.selectors import ADDRESS_RESERVED
from accounts.services import user_create, user_update
from helpdesk.errors import InvalidValue
from tests.conftest import PASSWORD
from tests.tickets.admin_forms import change_url, form_data
from tickets.models import BODY_MAX_CHARS, Priority, Status, Tag, Ticket, TicketEventKind
from tickets.services import ticket_change_status, ticket_create

pytestmark = pytest.mark.django_db


def test_admin_adding_a_ticket_records_a_created_event(client_for, carol, alice, category):
    client = client_for(carol)
    page = client.get(reverse("admin:tickets_ticket_add"))
    data = form_data(page, requester=alice.pk, subject="Printer on fire", category=category.pk, priority=30)

    response = client.post(reverse("admin:tickets_ticket_add"), data)

    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="Printer on fire")
    assert (ticket.requester, ticket.status, ticket.priority, ticket.team) == (
        alice,
        Status.NEW,
        30,
        category.default_team,
    )
    assert list(ticket.events.values_list("kind", "actor")) == [(TicketEventKind.CREATED, carol.pk)]


def test_admin_adding_a_ticket_for_a_deactivated_account_is_refused_on_the_field(client_for, carol, alice, category):
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    client = client_for(carol)
    page = client.get(reverse("admin:tickets_ticket_add"))
    data = form_data(page, requester=alice.pk, subject="Printer on fire", category=category.pk)

    response = client.post(reverse("admin:tickets_ticket_add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"requester": ["This account is deactivated."]}
    assert "Printer on fire" in response.content.decode() and not Ticket.objects.exists()


def test_admin_adding_a_ticket_for_the_automations_actor_is_refused_on_the_field(client_for, carol, category):
    """Its address is at a .invalid domain (ticket_create refuses it): a message next to the field, not a 500."""
    from automations.services import automation_actor

    client = client_for(carol)
    page = client.get(reverse("admin:tickets_ticket_add"))
    data = form_data(page, requester=automation_actor().pk, subject="Printer on fire", category=category.pk)

    response = client.post(reverse("admin:tickets_ticket_add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"requester": [ADDRESS_RESERVED]}
    assert not Ticket.objects.exists()


def test_no_door_opens_a_ticket_for_a_deactivated_account(alice, bob):
    alice.is_active = False
    alice.save(update_fields=["is_active"])

    with pytest.raises(InvalidValue) as refused:
        ticket_create(requester=alice, actor=bob, subject="Phoned in")

    assert refused.value.details == {"requester": ["This account is deactivated."]}
    assert not Ticket.objects.exists()


def test_admin_change_records_one_event_per_changed_field_by_the_admin(client_for, carol, bob, ticket):
    client = client_for(carol)
    page = client.get(change_url(ticket))
    data = form_data(
        page, status=Status.OPEN, assignee=bob.pk, priority=Priority.URGENT, tags=[Tag.objects.create(name="vip").pk]
    )

    response = client.post(change_url(ticket), data)

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee, ticket.priority) == (Status.OPEN, bob, Priority.URGENT)
    assert list(ticket.tags.values_list("name", flat=True)) == ["vip"]
    events = ticket.events.exclude(kind=TicketEventKind.CREATED)
    assert sorted(events.values_list("kind", flat=True)) == ["assignee", "priority", "status", "tags"]
    assert set(events.values_list("actor", flat=True)) == {carol.pk}
    assert events.get(kind=TicketEventKind.PRIORITY).new_value == "urgent"


def test_admin_subject_edit_is_saved_without_an_audit_event(client_for, carol, ticket):
    client = client_for(carol)
    data = form_data(client.get(change_url(ticket)), subject="Invoice 42 is wrong")

    client.post(change_url(ticket), data)

    ticket.refresh_from_db()
    assert ticket.subject == "Invoice 42 is wrong"
    assert list(ticket.events.values_list("kind", flat=True)) == [TicketEventKind.CREATED]


def test_admin_invalid_transition_shows_an_error_and_changes_nothing(client_for, carol, bob, ticket):
    ticket_change_status(ticket=ticket, actor=bob, status=Status.CLOSED)
    client = client_for(carol)
    data = form_data(client.get(change_url(ticket)), status=Status.PENDING, priority=Priority.HIGH)

    response = client.post(change_url(ticket), data)

    assert response.status_code == 200
    assert "A ticket cannot move from closed to pending." in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.CLOSED, Priority.NORMAL)
    assert ticket.events.count() == 2  # created, closed


def test_admin_service_refusal_becomes_a_message_not_a_server_error(client_for, carol, ticket, monkeypatch):
    def refuse(**kwargs: Any) -> None:
        raise InvalidValue("Invalid assignee.", details={"assignee": ["Tickets can only be assigned to agents."]})

    monkeypatch.setattr("tickets.admin.ticket_update", refuse)
    client = client_for(carol)
    data = form_data(client.get(change_url(ticket)), priority=Priority.HIGH, subject="Changed too")

    response = client.post(change_url(ticket), data, follow=True)

    assert response.status_code == 200
    assert "Tickets can only be assigned to agents." in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.priority) == ("Invoice is wrong", Priority.NORMAL)


def test_admin_assigning_a_deactivated_agent_is_refused_on_the_field_keeping_what_was_typed(client_for, carol, ticket):
    """The assignee autocomplete offers every agent, deactivated ones too. The refusal came from ticket_update, after
    the form: a redirect with a message, and the subject typed with it was gone."""
    dave = user_create(email="dave@example.com", password=PASSWORD, name="Dave Agent", role=Role.AGENT)
    user_update(user=dave, actor=carol, is_active=False)
    client = client_for(carol)
    data = form_data(client.get(change_url(ticket)), assignee=dave.pk, subject="Invoice 42 is wrong")

    response = client.post(change_url(ticket), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "assignee": ["Dave Agent is deactivated: tickets can only be assigned to active agents."]
    }
    assert "Invoice 42 is wrong" in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.assignee) == ("Invoice is wrong", None)


def test_a_ticket_saved_with_a_description_longer_than_the_limit_can_still_be_triaged_in_the_admin(
    client_for, carol, ticket
):
    """Written before the limit existed: an unchanged description goes back as it is."""
    longer = "x" * (BODY_MAX_CHARS + 10)
    Ticket.objects.filter(pk=ticket.pk).update(description=longer)
    client = client_for(carol)

    response = client.post(change_url(ticket), form_data(client.get(change_url(ticket)), priority=Priority.HIGH))

    assert response.status_code == 302, response.context["adminform"].form.errors
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.description) == (Priority.HIGH, longer)


def test_a_description_changed_to_one_longer_than_the_limit_is_refused_in_the_admin(client_for, carol, ticket):
    client = client_for(carol)
    data = form_data(client.get(change_url(ticket)), description="x" * (BODY_MAX_CHARS + 1))

    response = client.post(change_url(ticket), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "description": ["Ensure this value has at most 65536 characters (it has 65537)."]
    }
    ticket.refresh_from_db()
    assert ticket.description == "Charged twice."


def test_a_description_of_many_lines_at_the_limit_goes_back_unchanged_as_a_browser_sends_it(client_for, carol, ticket):
    """As a long mail's cut leaves it. A browser counts a line break as one character against the textarea's
    maxlength but sends it as two (CRLF): read as sent, the untouched description was too long and "changed"."""
    lines = "".join(f"Line {number} of the log.\n" for number in range(4000))[:BODY_MAX_CHARS]
    Ticket.objects.filter(pk=ticket.pk).update(description=lines)
    client = client_for(carol)
    data = form_data(client.get(change_url(ticket)), priority=Priority.HIGH)

    response = client.post(change_url(ticket), {**data, "description": data["description"].replace("\n", "\r\n")})

    assert response.status_code == 302, response.context["adminform"].form.errors
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.description) == (Priority.HIGH, lines)
