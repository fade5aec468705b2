"""A condition may only look back at a field placed before its target: the admin refuses anything else on the
page, as a row error, and saves nothing."""

from __future__ import annotations

import pytest

from forms_builder.models import Condition, Field, Form
from tests.forms_builder.admin_support import add_row, change_url, posted_values, row_index, two_field_bug_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def form(category):
    return two_field_bug_report(category)


def page_data(client, form):
    return posted_values(client.get(change_url(form)))


def add_condition(data, *, target, source, operator="equals", value="x"):
    add_row(data, "conditions", target=target.pk, kind="visible_when", source=source.pk, operator=operator, value=value)


def assert_refused(response, form, message):
    assert response.status_code == 200
    errors = [error for formset in response.context["inline_admin_formsets"] for error in formset.formset.errors]
    assert any(errors), "the refused row carries an error"
    assert message in response.content.decode()
    assert Condition.objects.filter(form=form).count() == 1


def test_a_condition_on_a_field_placed_after_its_target_is_refused(client_for, carol, form):
    client = client_for(carol)
    data = page_data(client, form)
    add_condition(data, target=form.fields.get(key="product"), source=form.fields.get(key="version"))

    response = client.post(change_url(form), data)

    assert_refused(response, form, "before")


def test_a_condition_on_its_own_field_is_refused(client_for, carol, form):
    client = client_for(carol)
    data = page_data(client, form)
    version = form.fields.get(key="version")
    add_condition(data, target=version, source=version)

    response = client.post(change_url(form), data)

    assert_refused(response, form, "itself")


def test_moving_a_source_below_its_target_in_the_same_save_is_refused(client_for, carol, form):
    client = client_for(carol)
    data = page_data(client, form)
    data[f"fields-{row_index(data, 'fields', form.fields.get(key='product').pk)}-position"] = 99

    response = client.post(change_url(form), data)

    assert_refused(response, form, "before")
    assert form.fields.get(key="product").position == 10


def test_deleting_a_field_that_a_kept_condition_uses_is_refused(client_for, carol, form):
    client = client_for(carol)
    data = page_data(client, form)
    data[f"fields-{row_index(data, 'fields', form.fields.get(key='product').pk)}-DELETE"] = "on"

    response = client.post(change_url(form), data)

    assert_refused(response, form, "delete this condition too")
    assert Field.objects.filter(form=form).count() == 2


def test_deleting_a_field_together_with_its_conditions_is_saved(client_for, carol, form):
    client = client_for(carol)
    data = page_data(client, form)
    data[f"fields-{row_index(data, 'fields', form.fields.get(key='product').pk)}-DELETE"] = "on"
    data[f"conditions-{row_index(data, 'conditions', form.conditions.get().pk)}-DELETE"] = "on"

    response = client.post(change_url(form), data)

    assert response.status_code == 302
    assert list(form.fields.values_list("key", flat=True)) == ["version"]
    assert not form.conditions.exists()


def test_condition_rows_offer_only_this_forms_fields(client_for, carol, form, category):
    elsewhere = Form.objects.create(name="Other", slug="other", category=category, subject_template="x")
    stranger = Field.objects.create(form=elsewhere, key="stranger", label="Stranger")

    formset = client_for(carol).get(change_url(form)).context["inline_admin_formsets"][1].formset

    offered = set(formset.forms[0].fields["source"].queryset)
    assert offered == set(form.fields.all())
    assert stranger not in offered
