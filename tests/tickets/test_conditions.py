"""One condition language (the ticket filters) answers both "which tickets" and "does this ticket match"."""

from __future__ import annotations

from tickets.conditions import conditions_problems, ticket_matches, tickets_matching
from tickets.models import Priority, Ticket
from tickets.services import TicketChanges, ticket_create, ticket_update


def test_a_ticket_matches_exactly_when_the_list_would_show_it(ticket, alice, bob, category):
    urgent = ticket_create(requester=alice, subject="Down", category=category, actor=bob, priority=Priority.URGENT)
    ticket_update(ticket=urgent, actor=bob, changes=TicketChanges(tags=["vip"]))
    cases = [
        {},
        {"priority": "urgent"},
        {"priority": "urgent", "tag": "vip"},
        {"status": "new,open", "category": str(category.pk)},
        {"status": "closed"},
        {"q": "invoice"},
        {"assignee": "none"},
    ]
    for conditions in cases:
        listed = set(tickets_matching(conditions, Ticket.objects.all()).values_list("pk", flat=True))
        for candidate in (ticket, urgent):
            assert ticket_matches(conditions, candidate) == (candidate.pk in listed), conditions


def test_me_means_the_viewer_and_nobody_for_a_rule(ticket, bob):
    assert not ticket_matches({"assignee": "me"}, ticket)  # unassigned: "me" is nobody, not "no one assigned"
    ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(assignee=bob))
    assert ticket_matches({"assignee": "me"}, ticket, user=bob)
    assert not ticket_matches({"assignee": "me"}, ticket)


def test_unknown_or_invalid_conditions_are_named(db):
    assert conditions_problems({"priority": "urgent", "status": "new,open"}) == {}
    assert conditions_problems({"colour": "red", "cursor": "x"}) == {
        "colour": ["Unknown condition."],
        "cursor": ["Unknown condition."],
    }
    problems = conditions_problems({"priority": "extreme", "assignee": "someone"})
    assert set(problems) == {"priority", "assignee"}
