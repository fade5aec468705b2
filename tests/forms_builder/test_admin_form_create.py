"""Building a form in the admin: the form with its fields on the add page, then a condition on the change page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from forms_builder.models import Condition, Field, Form
from tests.forms_builder.admin_support import add_row, change_url, posted_values

pytestmark = pytest.mark.django_db


def test_admin_creates_a_form_with_fields_then_adds_a_condition(client_for, carol, category):
    client = client_for(carol)
    add_page = reverse("admin:forms_builder_form_add")
    data = posted_values(client.get(add_page))
    data |= {"name": "Bug report", "slug": "bug-report", "category": category.pk, "subject_template": "{summary}"}
    matching = {"visible_match": "all", "required_match": "all"}
    add_row(data, "fields", key="product", label="Product", type="select", position=10, choices="a\nb", **matching)
    add_row(data, "fields", key="summary", label="Summary", type="text", position=20, required="on", **matching)

    response = client.post(add_page, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    form = Form.objects.get(slug="bug-report")
    assert list(form.fields.values_list("key", "position", "required")) == [
        ("product", 10, False),
        ("summary", 20, True),
    ]

    data = posted_values(client.get(change_url(form)))
    target, source = form.fields.get(key="summary"), form.fields.get(key="product")
    add_row(data, "conditions", target=target.pk, kind="required_when", source=source.pk, operator="equals", value="b")

    response = client.post(change_url(form), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    condition = Condition.objects.get(form=form)
    assert (condition.target.key, condition.kind, condition.source.key, condition.operator, condition.value) == (
        "summary",
        "required_when",
        "product",
        "equals",
        "b",
    )


def test_a_new_field_row_starts_below_the_existing_fields(client_for, carol, category):
    form = Form.objects.create(name="Access", slug="access", category=category, subject_template="Access")
    Field.objects.create(form=form, key="system", label="System", position=30)

    formset = client_for(carol).get(change_url(form)).context["inline_admin_formsets"][0].formset

    assert formset.extra_forms[0]["position"].value() == 40
