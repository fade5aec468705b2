"""`team` and `category` take a row's id, read by a query compiled once (tickets.filters.KeyChoiceField): the same
rows and the same errors as Django's ModelChoiceField, which compiled `queryset.get(pk=…)` on every request."""

from __future__ import annotations

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tickets.filters import KeyChoiceField
from tickets.models import Category, Team

URL = "/api/v1/tickets/"


@pytest.mark.parametrize("value", ["abc", "999999", "0", "-1", "1.5", "9" * 19, "9" * 30])
def test_a_value_naming_no_row_is_the_model_choice_error(api_client_for, bob, ticket, team, value):
    response = api_client_for(bob).get(URL, {"team": value, "category": value})
    assert response.status_code == 400
    details = response.json()["error"]["details"]
    assert set(details) == {"team", "category"}
    assert details["team"] == ["Select a valid choice. That choice is not one of the available choices."]


@pytest.mark.parametrize("written", ["{pk}", " {pk} ", "+{pk}", "0{pk}"])
def test_an_id_is_read_as_the_orm_reads_it(api_client_for, bob, ticket, team, category, written):
    ticket.team, ticket.category = team, category
    ticket.save(update_fields=["team", "category"])
    client = api_client_for(bob)
    response = client.get(URL, {"team": written.format(pk=team.pk), "category": written.format(pk=category.pk)})
    assert [row["id"] for row in response.json()["results"]] == [ticket.pk]
    assert Team.objects.get(pk=written.format(pk=team.pk)) == team  # what ModelChoiceField would have found


def test_the_row_is_read_by_one_compiled_query(team, category):
    field = KeyChoiceField(queryset=Team.objects.all())
    field.clean(str(team.pk))  # compiled here once per process
    with CaptureQueriesContext(connection) as captured:
        assert field.clean(str(team.pk)) == team
        assert KeyChoiceField(queryset=Category.objects.all()).clean(str(category.pk)) == category
    assert len(captured) == 2
    assert all(" LIMIT 1" in query["sql"] for query in captured)


def test_a_narrowed_queryset_is_read_as_model_choice_field_reads_it(team, db):
    other = Team.objects.create(name="Elsewhere")
    field = KeyChoiceField(queryset=Team.objects.exclude(pk=other.pk))
    assert field.clean(str(team.pk)) == team
    with pytest.raises(forms.ValidationError):
        field.clean(str(other.pk))
    assert KeyChoiceField(queryset=Team.objects.all(), required=False).clean("") is None
