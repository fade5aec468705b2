"""Views saved from "Recently solved" before its window moved by itself stored the moment the page was opened, less
seven days (`updated_after`), and so listed a window receding into the past. The upgrade (queues migration 0003)
turns those, and only those, into the moving window the built-in view has now (`updated_within=7`)."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from queues.models import SavedView, Sort
from queues.services import saved_view_create
from tests.queues.conftest import subjects
from tickets.models import Status, Ticket
from tickets.services import ticket_change_status, ticket_create

upgrade = importlib.import_module("queues.migrations.0003_saved_recently_solved_keeps_moving")

WEEK = timedelta(days=7)


def saved_the_old_way(owner, *, opened, saved, **conditions: str) -> SavedView:
    """A view saved as "Recently solved" was before the upgrade: the page opened at `opened` wrote its window as a
    fixed moment, and the view was saved at `saved`."""
    view = saved_view_create(
        owner=owner,
        name="Solved lately",
        conditions={"status": "resolved,closed", "updated_after": (opened - WEEK).isoformat(), **conditions},
        sort=Sort.UPDATED,
    )
    SavedView.objects.filter(pk=view.pk).update(created_at=saved)
    return view


@pytest.fixture
def solved_three_weeks_ago(alice, bob, desk) -> Ticket:
    ticket = ticket_create(requester=alice, subject="Solved three weeks ago")
    ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED)
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now() - timedelta(days=21))
    return ticket


def test_a_view_saved_from_recently_solved_keeps_moving_after_the_upgrade(bob, solved_three_weeks_ago, client_for):
    opened = timezone.now() - timedelta(days=30)
    view = saved_the_old_way(bob, opened=opened, saved=opened + timedelta(minutes=2))
    client = client_for(bob)
    # Frozen a month ago: it lists what was solved in the five weeks since, not in the last week.
    assert subjects(client.get(reverse("staff_queue"), {"view": view.pk})) == [
        "Fixed yesterday",
        "Solved three weeks ago",
    ]

    upgrade.saved_recently_solved_keeps_moving(apps, None)

    view.refresh_from_db()
    assert (view.conditions, view.sort) == ({"status": "resolved,closed", "updated_within": "7"}, Sort.UPDATED)
    assert subjects(client.get(reverse("staff_queue"), {"view": view.pk})) == ["Fixed yesterday"]


@pytest.mark.parametrize(
    ("opened_before_saving", "conditions"),
    [
        # A moment of someone's own choosing, not the page's window: far from the week before the view was saved.
        (timedelta(days=3), {}),
        (timedelta(hours=1), {}),
        # After the view was saved: no page opened before it wrote it.
        (timedelta(minutes=-5), {}),
        # Other conditions than the built-in view's.
        (timedelta(minutes=2), {"assignee": "me"}),
        (timedelta(minutes=2), {"status": "resolved"}),
        (timedelta(minutes=2), {"status": "resolved,closed,open"}),
    ],
)
def test_every_other_view_with_a_fixed_moment_is_left_alone(bob, desk, opened_before_saving, conditions):
    saved = timezone.now() - timedelta(days=30)
    view = saved_the_old_way(bob, opened=saved - opened_before_saving, saved=saved, **conditions)
    stored = dict(view.conditions)

    upgrade.saved_recently_solved_keeps_moving(apps, None)

    view.refresh_from_db()
    assert view.conditions == stored


@pytest.mark.parametrize("moment", ["yesterday", 12, None, "2026-11-01T09:00:00"])
def test_a_view_whose_moment_is_no_moment_the_page_wrote_is_left_alone(bob, desk, moment):
    view = SavedView.objects.create(
        owner=bob, name="Odd", conditions={"status": "resolved,closed", "updated_after": moment}
    )

    upgrade.saved_recently_solved_keeps_moving(apps, None)

    view.refresh_from_db()
    assert view.conditions == {"status": "resolved,closed", "updated_after": moment}
