"""The builder page's queries do not grow with its conditions: every condition row offers the same stored fields,
read once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forms_builder.models import Condition, ConditionKind
from tests.forms_builder.admin_support import change_url
from tests.forms_builder.examples import bug_report_form

pytestmark = pytest.mark.django_db


def queries_for_page(client, form) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(change_url(form)).status_code == 200
    return len(captured)


def test_the_builder_reads_the_same_number_of_queries_for_2_or_12_conditions(client_for, carol, category):
    form = bug_report_form(category)
    client = client_for(carol)
    client.get(change_url(form))  # sessions, content types and the like cached once
    few = queries_for_page(client, form)
    product, version = form.fields.get(key="product"), form.fields.get(key="version")
    for _ in range(10):
        Condition.objects.create(form=form, target=version, kind=ConditionKind.VISIBLE, source=product, value="web")

    many = queries_for_page(client, form)

    assert many == few
