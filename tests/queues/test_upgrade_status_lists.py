"""A status list with an empty item ("open,") was read as the list without it; the ticket filters now refuse it, so
conditions saved that way would match nothing. The upgrade (queues migration 0004) mends them in saved views,
automation rules and SLA policies alike."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from accounts.models import User
from automations.models import Rule, Trigger
from queues.models import SavedView
from sla.models import SlaPolicy
from tickets.conditions import conditions_problems, ticket_matches

upgrade = importlib.import_module("queues.migrations.0004_status_lists_without_empty_items")

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("saved", "mended"),
    [
        ({"status": "open,", "priority": "high"}, {"status": "open", "priority": "high"}),
        ({"status": "new,,open"}, {"status": "new,open"}),
        ({"status": "new,open", "priority": "high"}, {"status": "new,open", "priority": "high"}),  # left as it was
    ],
)
def test_saved_conditions_lose_the_empty_items_of_their_status_list(bob, saved, mended):
    rows = saved_everywhere(bob, saved)

    upgrade.status_lists_without_empty_items(apps, None)

    assert [row.conditions for row in refreshed(rows)] == [mended] * 3
    assert conditions_problems(mended) == {}


def test_a_status_list_of_commas_alone_is_left_matching_no_ticket(bob, ticket):
    """Dropped, it would have a rule or a policy that never acted act on every ticket."""
    rows = saved_everywhere(bob, {"status": ","})

    upgrade.status_lists_without_empty_items(apps, None)

    assert [row.conditions for row in refreshed(rows)] == [{"status": ","}] * 3
    assert not ticket_matches({"status": ","}, ticket)


def saved_everywhere(owner: User, conditions: dict[str, str]) -> list[SavedView | Rule | SlaPolicy]:
    """The conditions as a client could have saved them before: in a view, a rule and a policy."""
    return [
        SavedView.objects.create(owner=owner, name="Mine", conditions=conditions),
        Rule.objects.create(name="Escalate", position=1, trigger=Trigger.TICKET_CREATED, conditions=conditions),
        SlaPolicy.objects.create(name="Standard", position=10, conditions=conditions),
    ]


def refreshed(rows: list[SavedView | Rule | SlaPolicy]) -> list[SavedView | Rule | SlaPolicy]:
    for row in rows:
        row.refresh_from_db()
    return rows
