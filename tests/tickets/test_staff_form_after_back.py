"""The staff triage form applies only what the agent changed from what their page showed.

The outside run's case: change priority and assignee and save; press Back twice; the browser puts the old select
values back while the hidden version token is fresh; saving a status change must not write the old priority and
assignee back. The test replays it the way a browser does (tests/support/browser_forms.py).
"""

from __future__ import annotations

from django.urls import reverse

from tests.support.browser_forms import choose, form_controls, revisited, submitted
from tickets.models import Priority, Status


def page(client, ticket) -> str:
    return client.get(reverse("staff_ticket_detail", args=[ticket.pk])).content.decode()


def test_a_status_change_from_a_restored_page_keeps_the_newer_priority_and_assignee(client_for, bob, carol, ticket):
    client = client_for(bob)
    action = reverse("staff_ticket_update", args=[ticket.pk])
    first_visit = form_controls(page(client, ticket), action)  # priority normal, nobody assigned

    # The agent sets priority and assignee, and saves.
    changed = choose(choose(first_visit, "priority", str(Priority.HIGH)), "assignee", str(carol.pk))
    assert client.post(action, submitted(changed)).status_code == 302
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.assignee) == (Priority.HIGH, carol)

    # Back, back: the page is rendered afresh, and the browser puts back the selects as they were on the first visit.
    restored = revisited(first_visit, form_controls(page(client, ticket), action))
    response = client.post(action, submitted(choose(restored, "status", "pending")))

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    assert (ticket.priority, ticket.assignee) == (Priority.HIGH, carol)
    assert list(ticket.events.values_list("kind", flat=True)).count("priority") == 1


def test_a_select_the_agent_changes_on_a_restored_page_is_applied(client_for, bob, carol, ticket):
    client = client_for(bob)
    action = reverse("staff_ticket_update", args=[ticket.pk])
    first_visit = form_controls(page(client, ticket), action)
    client.post(action, submitted(choose(first_visit, "priority", str(Priority.HIGH))))

    restored = revisited(first_visit, form_controls(page(client, ticket), action))
    client.post(action, submitted(choose(restored, "priority", str(Priority.LOW))))

    ticket.refresh_from_db()
    assert ticket.priority == Priority.LOW


def test_the_page_shows_the_current_values_as_selected(client_for, bob, carol, ticket):
    client = client_for(bob)
    action = reverse("staff_ticket_update", args=[ticket.pk])
    client.post(action, submitted(choose(form_controls(page(client, ticket), action), "assignee", str(carol.pk))))

    html = page(client, ticket)

    assert f'value="unchanged" selected>{carol.display_name}</option>' in html
