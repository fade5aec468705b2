"""The staff ticket page's timeline rows, the requester card's other tickets and the linked tickets card, read and
written in Python (tickets.staff_page), are what the template loops and queries they replace gave, byte for byte:
values escaped, staff-only events marked, what a requester may not see left out, links read from each side."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from tickets.models import Status, Ticket, TicketEvent, TicketEventKind
from tickets.selectors import events_visible_to, requester_other_tickets
from tickets.services import ticket_create, ticket_link
from tickets.services.links import LINK_LABELS, LinkView, links_touching, relation_from
from tickets.staff_page import linked_tickets, requester_tickets_html, timeline_html

HOSTILE = "<b>\"Tom\" & 'Jerry'</b><script>alert(1)</script>"
SHORT_HOSTILE = "<script>x</script>&'\""  # fits an event's `field` (32 characters)

# templates/staff/ticket_detail.html's loop before timeline_html replaced it.
EVENTS_LOOP = Template(
    """{% load timestamps %}{% for event in events %}
          <tr{% if event.internal %} class="event-internal"{% endif %}>
            <td>{% timestamp event.created_at %}</td>
            <td>{% if event.actor %}{{ event.actor.display_name }}{% else %}System{% endif %}{% if event.via %} <span class="muted">via {{ event.via }}</span>{% endif %}</td>
            <td>{{ event.get_kind_display }}{% if event.internal %} <span class="visually-hidden">(staff only)</span>{% endif %}</td>
            <td>{{ event.field|default:"—" }}</td>
            <td>{% if event.old_value %}<span class="event-old">{{ event.old_value }}</span> → {% endif %}<span class="event-new">{{ event.new_value|default:"none" }}</span></td>
          </tr>
        {% endfor %}"""  # noqa: E501 - the template as it was
)

# templates/staff/ticket/requester_card.html's loop before requester_tickets_html replaced it.
TICKETS_LOOP = Template(
    """{% for other in requester_tickets %}
        <li><a href="{% url 'staff_ticket_detail' other.pk %}">#{{ other.pk }} {{ other.subject }}</a>
          {% include "includes/status_badge.html" with ticket=other %}</li>
      {% endfor %}"""
)


@pytest.fixture
def events(alice, bob, ticket):
    bob.name = HOSTILE
    bob.save()
    made = [
        TicketEvent(
            ticket=ticket,
            actor=bob,
            kind=TicketEventKind.STATUS,
            field="status",
            old_value="new",
            new_value=HOSTILE,
        ),
        TicketEvent(ticket=ticket, actor=None, via=HOSTILE, kind=TicketEventKind.ASSIGNEE, field="", new_value=""),
        TicketEvent(ticket=ticket, actor=alice, kind="no-longer-a-kind", field=SHORT_HOSTILE, old_value=HOSTILE),
        TicketEvent(ticket=ticket, actor=bob, kind=TicketEventKind.COMMENT, internal=True, new_value="note"),
    ]
    TicketEvent.objects.bulk_create(made)
    return made


@pytest.mark.parametrize("who", ["bob", "alice"])
def test_the_timeline_is_written_as_the_loop_wrote_it(request, events, ticket, who):
    user = request.getfixturevalue(who)

    written = timeline_html(user, ticket)

    assert written == EVENTS_LOOP.render(Context({"events": events_visible_to(user, ticket)}))
    assert "<script>" not in written
    assert written.count("<tr") == events_visible_to(user, ticket).count()


def test_staff_only_events_are_marked_for_staff_and_left_out_for_requesters(alice, bob, events, ticket):
    assert timeline_html(bob, ticket).count('class="event-internal"') == 1
    assert "(staff only)" not in timeline_html(alice, ticket)


def test_a_ticket_without_events_has_no_rows(bob, ticket):
    TicketEvent.objects.filter(ticket=ticket).delete()

    assert timeline_html(bob, ticket) == ""


def test_the_requesters_other_tickets_are_written_as_the_loop_wrote_them(alice, bob, category, ticket):
    for number, status in enumerate([Status.OPEN, Status.CLOSED, Status.PENDING]):
        other = ticket_create(requester=alice, subject=f"{HOSTILE} {number}", description="x", category=category)
        Ticket.objects.filter(pk=other.pk).update(status=status)
    others = requester_other_tickets(bob, ticket)

    written = requester_tickets_html(others)

    assert written == TICKETS_LOOP.render(Context({"requester_tickets": others}))
    assert written.count("<li>") == 3
    assert "<script>" not in written


# templates/staff/ticket/links_card.html's list, over what tickets.services.links read before linked_tickets.
LINKS_LOOP = Template(
    """{% for item in links %}{{ item.label }} <a href="{% url 'staff_ticket_detail' item.other.pk %}">#{{ item.other.pk }} {{ item.other.subject }}</a>
<span class="muted">({{ item.other.get_status_display|lower }})</span> {{ item.link.pk }}
{% endfor %}"""  # noqa: E501 - the template's lines
)


def test_the_linked_tickets_are_read_from_this_tickets_side(alice, bob, category, ticket):
    others = [
        ticket_create(requester=alice, subject=f"{HOSTILE} {number}", description="x", category=category)
        for number in range(5)
    ]
    Ticket.objects.filter(pk=others[0].pk).update(status=Status.PENDING)
    for other, relation in zip(
        others, ["related", "duplicate_of", "duplicated_by", "child_of", "parent_of"], strict=True
    ):
        ticket_link(ticket=ticket, other=other, relation=relation, actor=bob)

    for side in [ticket, *others]:
        shown = linked_tickets(side)
        expected = [
            LinkView(link=link, relation=relation, other=other)
            for link in links_touching(side)
            for relation, other in [relation_from(link, side)]
        ]
        assert [(view.relation, view.link.pk, view.other.pk) for view in shown] == [
            (view.relation, view.link.pk, view.other.pk) for view in expected
        ]
        assert LINKS_LOOP.render(Context({"links": shown})) == LINKS_LOOP.render(Context({"links": expected}))
    assert [view.label for view in linked_tickets(ticket)] == list(LINK_LABELS.values())
    assert [view.label for view in linked_tickets(others[2])] == ["Duplicate of"]
    assert "<script>" not in LINKS_LOOP.render(Context({"links": linked_tickets(ticket)}))
