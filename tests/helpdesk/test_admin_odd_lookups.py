"""An admin list's lookup that Django parses but no database can answer is a redirect to the bare list with `?e=1`,
as Django answers a lookup it cannot parse: a number past 64 bits (SQLite's driver overflows on it), a datetime at the
edge of what Python holds (it overflows on its way to UTC), the date hierarchy's year 9999 (whose range would end in
the year 10000). Before, each was a 500. Every registered admin is walked, so a new one is covered without touching
this file; runs on SQLite and, with DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db.models import DateTimeField, ForeignKey
from django.http import HttpResponse
from django.urls import reverse

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"
REGISTRY = sorted(admin.site._registry, key=lambda model: model._meta.label)
DATE_HIERARCHY_PERIODS = [
    {"year": "9999"},
    {"year": "9999", "month": "12"},
    {"year": "9999", "month": "12", "day": "31"},
    {"year": "99999"},
    {"year": "2024", "month": "13"},
    {"year": "2024", "month": "2", "day": "30"},
    {"year": "2024", "month": "1", "day": "40"},
]


def refused_lookups(model_admin: admin.ModelAdmin) -> list[dict[str, str]]:
    """Lookups every database refuses the same way: numbers past 64 bits on the key and on each foreign key, and
    date hierarchy periods a datetime cannot hold."""
    lookups = [{"pk__in": f"1,{HUGE}"}, {"pk__in": f"-{HUGE}"}, {"pk__gt": "abc"}]
    for field in model_admin.model._meta.concrete_fields:
        if isinstance(field, ForeignKey):
            lookups += [{field.name: HUGE}, {f"{field.name}__in": f"1,{HUGE}"}]
    if model_admin.date_hierarchy:
        lookups += [
            {f"{model_admin.date_hierarchy}__{part}": value for part, value in period.items()}
            for period in DATE_HIERARCHY_PERIODS
        ]
    return lookups


def edge_lookups(model_admin: admin.ModelAdmin) -> list[dict[str, str]]:
    """Lookups a database may answer (PostgreSQL holds the year 1 in UTC; Django answers `pk=<huge>` on a number
    key with no rows) or refuse (SQLite): either way the list or `?e=1`, never a 500."""
    lookups = [{"pk": HUGE}, {"pk": f"-{HUGE}"}]
    for field in model_admin.model._meta.concrete_fields:
        if isinstance(field, DateTimeField):
            lookups += [
                {f"{field.name}__gte": "0001-01-01 00:00:00+05:00"},
                {f"{field.name}__lt": "9999-12-31 23:00:00-05:00"},
            ]
    return lookups


def changelist_url(model: type) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def answers(client, url: str, lookups: list[dict[str, str]]) -> list[tuple[dict[str, str], HttpResponse]]:
    return [(lookup, client.get(url, lookup)) for lookup in lookups]


@pytest.mark.parametrize("model", REGISTRY, ids=[model._meta.label for model in REGISTRY])
def test_every_admin_list_sends_a_lookup_no_database_can_answer_back_to_the_bare_list(client_for, carol, model):
    url = changelist_url(model)

    for lookup, response in answers(client_for(carol), url, refused_lookups(admin.site._registry[model])):
        assert (response.status_code, response.get("Location")) == (302, f"{url}?e=1"), lookup


@pytest.mark.parametrize("model", REGISTRY, ids=[model._meta.label for model in REGISTRY])
def test_every_admin_list_answers_edge_lookups_with_the_list_or_the_bare_list(client_for, carol, model):
    url = changelist_url(model)

    for lookup, response in answers(client_for(carol), url, edge_lookups(admin.site._registry[model])):
        assert response.status_code == 200 or response.get("Location") == f"{url}?e=1", (lookup, response)


def test_the_year_1_seen_from_east_of_utc_is_the_list_or_the_bare_list(client_for, carol, settings):
    settings.TIME_ZONE = "Asia/Tokyo"  # the year 1 begins here nine hours before UTC's, in the year 0
    url = reverse("admin:tickets_ticketevent_changelist")

    response = client_for(carol).get(url, {"created_at__year": "1"})

    assert response.status_code == 200 or response.get("Location") == f"{url}?e=1", response
