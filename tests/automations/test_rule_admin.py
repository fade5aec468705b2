"""Rules in the Django admin: saved through automations.services, the rows they name kept until the save commits."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from automations.models import AssignMode, Rule
from tests.support.admin import deleted_once_validated
from tickets.models import Category, Team


def rule_form(**fields: object) -> dict[str, object]:
    form = {"name": "Escalate", "is_active": "on", "trigger": "ticket_created", "position": 0, "conditions": "{}"}
    return {**form, **fields}


def rows_kept(queries: list[dict[str, str]]) -> list[str]:
    """The reads keeping a named row (tickets.services.common._row_kept), which select its id alone."""
    return [query["sql"] for query in queries if '"id" AS "pk" FROM ' in query["sql"]]


def test_a_rule_saved_in_the_admin_keeps_each_row_it_names_with_one_read(
    client_for, carol, dave, django_assert_max_num_queries
):
    tier2 = Team.objects.create(name="Tier 2")
    refunds = Category.objects.create(name="Refunds", slug="refunds")
    form = rule_form(
        conditions=f'{{"team": "{tier2.pk}"}}', set_team=tier2.pk, set_category=refunds.pk,
        assign=AssignMode.AGENT, assign_to=dave.pk,
    )  # fmt: skip
    client = client_for(carol)

    with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(23):
        response = client.post(reverse("admin:automations_rule_add"), form)

    assert response.status_code == 302
    assert len(rows_kept(queries.captured_queries)) == 3  # the team (named twice), the category, the agent
    assert Rule.objects.get().set_team == tier2


def test_a_rule_saved_in_the_admin_naming_a_team_deleted_meanwhile_says_so_on_the_field(monkeypatch, client_for, carol):
    tier2 = Team.objects.create(name="Tier 2")
    deleted_once_validated(monkeypatch, Rule, tier2)

    response = client_for(carol).post(reverse("admin:automations_rule_add"), rule_form(set_team=tier2.pk))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"set_team": ["This team no longer exists."]}
    assert not Rule.objects.exists()
