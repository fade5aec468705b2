"""The API list builds its rows without TicketSerializer (for speed); each row must be exactly what it would give."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIRequestFactory

from csat.models import SatisfactionSurvey
from sla.models import Metric, SlaClock
from tickets.models import Priority, Tag, Ticket
from tickets.serializers import TicketSerializer

URL = "/api/v1/tickets/"


@pytest.fixture
def varied_tickets(alice, bob, team, category):
    now = timezone.now()
    plain = Ticket.objects.create(requester=alice, subject="Plain", created_at=now - timedelta(hours=2))
    busy = Ticket.objects.create(
        requester=alice,
        subject="Busy",
        description="**Bold** words",
        priority=Priority.URGENT,
        assignee=bob,
        team=team,
        category=category,
        created_at=now - timedelta(hours=1),
        first_response_at=now,
        resolved_at=now,
        sender_verified=False,
    )
    busy.tags.set([Tag.objects.create(name="vpn"), Tag.objects.create(name="billing")])
    for metric, started in [(Metric.RESOLUTION, now), (Metric.FIRST_RESPONSE, now - timedelta(minutes=5))]:
        SlaClock.objects.create(
            ticket=busy, metric=metric, started_at=started, counted_until=started, due_at=now + timedelta(hours=1)
        )
    SlaClock.objects.create(ticket=busy, metric=Metric.NEXT_RESPONSE, started_at=now, counted_until=now, stopped_at=now)
    SatisfactionSurvey.objects.create(ticket=busy, resolved_at=now - timedelta(days=1), rating="bad")
    SatisfactionSurvey.objects.create(ticket=busy, resolved_at=now, rating="good", rated_at=now)
    return [busy, plain]


def serialized(user, tickets):
    """What TicketSerializer makes of these tickets, as the client receives it."""
    request = APIRequestFactory().get(URL)
    request.user = user
    data = [TicketSerializer(ticket, context={"request": request}).data for ticket in tickets]
    return json.loads(JSONRenderer().render(data))


@pytest.mark.parametrize("who", ["bob", "alice"])
def test_each_row_of_the_list_is_what_the_ticket_serializer_gives(who, request, api_client_for, varied_tickets):
    user = request.getfixturevalue(who)
    rows = api_client_for(user).get(URL).json()["results"]
    fresh = [Ticket.objects.get(pk=ticket.pk) for ticket in varied_tickets]
    assert rows == serialized(user, fresh)
    if who == "bob":
        assert [clock["metric"] for clock in rows[0]["sla"]] == ["first_response", "resolution"]
    else:
        assert rows[0]["sla"] is None
    assert rows[0]["tags"] == ["billing", "vpn"]
    assert rows[0]["satisfaction"]["rating"] == "good"
