"""The benchmark's ceiling view is a bench-only yardstick: not routed unless BENCH_CEILING is on."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import Resolver404, resolve
from rest_framework.test import APIRequestFactory

from helpdesk.bench_ceiling import CEILING_PAGE_SIZE, BenchCeilingView
from tickets.models import Ticket


def test_bench_ceiling_is_off_by_default():
    assert settings.BENCH_CEILING is False


def test_the_ceiling_is_not_routed_by_default():
    with pytest.raises(Resolver404):
        resolve("/bench/ceiling")


@pytest.mark.django_db
def test_the_ceiling_path_answers_404_by_default(client):
    assert client.get("/bench/ceiling").status_code == 404


@pytest.mark.django_db
def test_the_ceiling_view_returns_one_page_of_newest_tickets_as_plain_rows(alice, django_assert_num_queries):
    Ticket.objects.bulk_create(Ticket(requester=alice, subject=f"Ticket {i}") for i in range(CEILING_PAGE_SIZE + 5))
    with django_assert_num_queries(1):
        response = BenchCeilingView.as_view()(APIRequestFactory().get("/bench/ceiling"))
        response.render()
    rows = response.data["results"]
    assert len(rows) == CEILING_PAGE_SIZE
    assert rows[0]["subject"] == f"Ticket {CEILING_PAGE_SIZE + 4}"
