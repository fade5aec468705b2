"""A status list with an empty item ("open,") was read as the list without it; the ticket filters now refuse it, so
conditions saved that way would match nothing. The upgrade (queues migration 0004) mends them in saved views,
automation rules and SLA policies alike."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from automations.models import Rule, Trigger
from queues.models import SavedView
from sla.models import SlaPolicy
from tickets.conditions import conditions_problems

upgrade = importlib.import_module("queues.migrations.0004_status_lists_without_empty_items")

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("saved", "mended"),
    [
        ({"status": "open,", "priority": "high"}, {"status": "open", "priority": "high"}),
        ({"status": "new,,open"}, {"status": "new,open"}),
        ({"status": ",", "priority": "high"}, {"priority": "high"}),
        ({"status": "new,open", "priority": "high"}, {"status": "new,open", "priority": "high"}),  # left as it was
    ],
)
def test_saved_conditions_lose_the_empty_items_of_their_status_list(bob, saved, mended):
    view = SavedView.objects.create(owner=bob, name="Mine", conditions=saved)
    rule = Rule.objects.create(name="Escalate", position=1, trigger=Trigger.TICKET_CREATED, conditions=saved)
    policy = SlaPolicy.objects.create(name="Standard", position=10, conditions=saved)
    assert ("status" in conditions_problems(saved)) == (saved != mended)  # the filters refuse them now

    upgrade.status_lists_without_empty_items(apps, None)

    for row in (view, rule, policy):
        row.refresh_from_db()
        assert row.conditions == mended
    assert conditions_problems(mended) == {}
