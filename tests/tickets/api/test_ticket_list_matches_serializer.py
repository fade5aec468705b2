"""The API list builds its rows without TicketSerializer (for speed); each row must be exactly what it would give."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIRequestFactory

from csat.models import SatisfactionSurvey
from sla.models import Metric, SlaClock, SlaPolicy
from tests.support.api import as_the_list_writes
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
    plain.merged_into = busy
    plain.save(update_fields=["merged_into"])
    busy.tags.set([Tag.objects.create(name="vpn"), Tag.objects.create(name="billing")])
    policy = SlaPolicy.objects.create(name="Standard")
    for metric, started in [(Metric.RESOLUTION, now), (Metric.FIRST_RESPONSE, now - timedelta(minutes=5))]:
        SlaClock.objects.create(
            ticket=busy,
            metric=metric,
            policy=policy,
            target_minutes=60,
            started_at=started,
            counted_until=started,
            due_at=now + timedelta(hours=1),
            warn_at=now + timedelta(minutes=45),
        )
    SlaClock.objects.create(ticket=busy, metric=Metric.NEXT_RESPONSE, started_at=now, counted_until=now, stopped_at=now)
    # Running clocks of another ticket: one missed (due in the past), one paused while the ticket is pending.
    SlaClock.objects.create(
        ticket=plain,
        metric=Metric.FIRST_RESPONSE,
        target_minutes=30,
        started_at=now - timedelta(hours=2),
        counted_until=now,
        due_at=now - timedelta(minutes=90),
        breached_at=now - timedelta(minutes=90),
    )
    SlaClock.objects.create(
        ticket=plain,
        metric=Metric.RESOLUTION,
        target_minutes=480,
        started_at=now - timedelta(hours=2),
        counted_until=now,
        elapsed=timedelta(minutes=30),
        paused=True,
    )
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
        assert [(clock["breached"], clock["paused"]) for clock in rows[1]["sla"]] == [(True, False), (False, True)]
    else:
        assert rows[0]["sla"] is None
    assert rows[0]["tags"] == ["billing", "vpn"]
    assert rows[1]["merged_into"] == rows[0]["id"]
    assert rows[0]["satisfaction"]["rating"] == "good"


def test_a_page_builds_one_serializer_for_its_surveys_and_none_for_its_clocks(bob, alice, api_client_for):
    """A serializer per row built its fields again for each: with every resolved ticket rated, most of a page's
    time (bench/README.md, tenth session). The clocks are written without one (sla.serializers.clock_data): with
    two running clocks on each open ticket, the serializer alone took longer than the page's query (twelfth). They
    are read as values, without an instance either: the instances with their calendars cost more than the query
    (thirteenth)."""
    from unittest import mock

    from csat.serializers import SatisfactionSerializer
    from sla.serializers import SlaClockSerializer

    now = timezone.now()
    for number in range(5):
        ticket = Ticket.objects.create(requester=alice, subject=f"Rated {number}", resolved_at=now)
        SatisfactionSurvey.objects.create(ticket=ticket, resolved_at=now, rating="good", rated_at=now)
        SlaClock.objects.create(ticket=ticket, metric=Metric.RESOLUTION, started_at=now, counted_until=now)
    built = {}
    for serializer in (SatisfactionSerializer, SlaClockSerializer):
        built[serializer] = mock.patch.object(
            serializer, "get_fields", autospec=True, side_effect=serializer.get_fields
        )

    clock_instances = mock.patch.object(SlaClock, "from_db", side_effect=SlaClock.from_db)

    with built[SatisfactionSerializer] as surveys, built[SlaClockSerializer] as clocks, clock_instances as instances:
        rows = api_client_for(bob).get(URL).json()["results"]

    assert [row["satisfaction"]["rating"] for row in rows] == ["good"] * 5
    assert all(len(row["sla"]) == 1 for row in rows)
    assert (surveys.call_count, clocks.call_count, instances.call_count) == (1, 0, 0)


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"target_minutes": 30, "due_at": -5},  # past due, before the sweep marked it breached
        {"target_minutes": 30, "due_at": -5, "breached_at": -5},
        {"target_minutes": 480, "due_at": 60, "warn_at": 45},
        {"target_minutes": 480, "paused": True, "elapsed": timedelta(minutes=30)},
    ],
)
def test_clock_data_writes_every_field_of_the_clock_serializer(bob, ticket, fields):
    """clock_data of a clock read as values and SlaClockSerializer of its instance must not drift apart: the same
    keys, the same values."""
    from sla.selectors import running_clock_values_by_ticket
    from sla.serializers import SlaClockSerializer, clock_data
    from tickets.serializers import _datetime_representation

    now = timezone.now()
    times = {name: now + timedelta(minutes=value) for name, value in fields.items() if name.endswith("_at")}
    policy = SlaPolicy.objects.create(name="Standard") if fields else None
    clock = SlaClock.objects.create(
        ticket=ticket, metric=Metric.RESOLUTION, policy=policy, started_at=now, counted_until=now, **{**fields, **times}
    )

    [values] = running_clock_values_by_ticket([ticket.pk])[ticket.pk]
    written = clock_data(values, _datetime_representation(), timezone.now())
    assert as_the_list_writes(written) == as_the_list_writes(SlaClockSerializer(clock).data)
