"""The order a configuration save keeps the rows it names in, and the order an admin deletes several rows in: one
order for both, by model then by id (tickets.services.common.lock_order), which PostgreSQL needs to deadlock neither
(tests/tickets/test_configured_rows_lock_order_postgres.py shows the two racing)."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from accounts.services import user_create
from automations.models import AssignMode, Rule
from tickets.admin import TeamAdmin
from tickets.models import Category, Team
from tickets.services.common import ensure_configured_rows_remain

pytestmark = pytest.mark.django_db


def rows_read(queries: list[dict[str, str]]) -> list[tuple[str, int]]:
    """The (table, id) of each single-row read, in the order they ran."""
    read = []
    for query in queries:
        if found := re.search(r'FROM "(\w+)" WHERE "\w+"\."id" = (\d+)', query["sql"]):
            read.append((found[1], int(found[2])))
    return read


def test_a_save_keeps_the_rows_it_names_by_model_then_id_and_each_once():
    lower, higher = Team.objects.create(name="Zulu"), Team.objects.create(name="Alpha")
    refunds = Category.objects.create(name="Refunds", slug="refunds")
    dave = user_create(email="dave@example.com", name="Dave Agent", password="x", role=Role.AGENT)
    rule = Rule(
        name="Escalate",
        conditions={"team": str(lower.pk), "category": str(refunds.pk), "assignee": str(dave.pk)},
        set_team=higher,
        set_category=refunds,
        assign=AssignMode.AGENT,
        assign_to=dave,
    )

    with CaptureQueriesContext(connection) as queries:
        ensure_configured_rows_remain(rule)

    assert rows_read(queries.captured_queries) == [
        ("accounts_user", dave.pk),
        ("tickets_category", refunds.pk),
        ("tickets_team", lower.pk),
        ("tickets_team", higher.pk),
    ]


def test_teams_deleted_together_go_in_id_order_whatever_order_the_list_shows(monkeypatch, client_for, carol):
    lower, higher = Team.objects.create(name="Zulu"), Team.objects.create(name="Alpha")
    deleted: list[int] = []
    delete_one = TeamAdmin.delete_one

    def recording(self, request, obj):
        deleted.append(obj.pk)
        delete_one(self, request, obj)

    monkeypatch.setattr(TeamAdmin, "delete_one", recording)
    form = {"action": "delete_selected", "post": "yes", ACTION_CHECKBOX_NAME: [higher.pk, lower.pk]}

    response = client_for(carol).post(reverse("admin:tickets_team_changelist"), form)

    assert response.status_code == 302
    assert deleted == [lower.pk, higher.pk]
    assert not Team.objects.exists()
