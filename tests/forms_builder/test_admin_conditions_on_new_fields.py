"""A condition may refer to fields added on the same page, not saved yet (by "key:<key>"): the whole form, its fields
and their conditions are built in one save, and checked against the rows posted with it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from forms_builder.models import Condition, Field, Form
from tests.forms_builder.admin_support import add_row, change_url, posted_values

pytestmark = pytest.mark.django_db

MATCHING = {"visible_match": "all", "required_match": "all"}


@pytest.fixture
def form(category):
    form = Form.objects.create(name="Access", slug="access", category=category, subject_template="Access")
    Field.objects.create(form=form, key="system", label="System", position=10, type="select", choices="vpn\nmail")
    return form


def conditions_refused(response):
    assert response.status_code == 200
    return [errors for formset in response.context["inline_admin_formsets"] for errors in formset.formset.errors]


def test_a_new_form_with_two_fields_and_a_condition_between_them_is_saved_in_one_submit(client_for, carol, category):
    client = client_for(carol)
    add_page = reverse("admin:forms_builder_form_add")
    data = posted_values(client.get(add_page))
    data |= {"name": "Bug report", "slug": "bug-report", "category": category.pk, "subject_template": "{product}"}
    add_row(data, "fields", key="product", label="Product", type="select", position=10, choices="desktop\nweb",
            **MATCHING)  # fmt: skip
    add_row(data, "fields", key="version", label="Version", type="text", position=20, **MATCHING)
    add_row(data, "conditions", target="key:version", kind="visible_when", source="key:product", operator="equals",
            value="desktop")  # fmt: skip

    response = client.post(add_page, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    condition = Condition.objects.get(form__slug="bug-report")
    assert (condition.target.key, condition.kind, condition.source.key, condition.value) == (
        "version",
        "visible_when",
        "product",
        "desktop",
    )


def test_a_new_field_can_depend_on_a_stored_one_in_the_same_save(client_for, carol, form):
    client = client_for(carol)
    data = posted_values(client.get(change_url(form)))
    add_row(data, "fields", key="vpn_group", label="VPN group", type="text", position=20, **MATCHING)
    system = form.fields.get(key="system")
    add_row(data, "conditions", target="key:vpn_group", kind="required_when", source=system.pk, operator="equals",
            value="vpn")  # fmt: skip

    response = client.post(change_url(form), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    condition = Condition.objects.get(form=form)
    assert (condition.target.key, condition.source, condition.kind) == ("vpn_group", system, "required_when")


def test_a_key_that_is_not_on_the_page_is_refused_and_nothing_is_saved(client_for, carol, form):
    client = client_for(carol)
    data = posted_values(client.get(change_url(form)))
    add_row(data, "fields", key="vpn_group", label="VPN group", type="text", position=20, **MATCHING)
    add_row(data, "conditions", target="key:vpn_grop", kind="visible_when", source=form.fields.get().pk,
            operator="equals", value="vpn")  # fmt: skip

    response = client.post(change_url(form), data)

    assert any(conditions_refused(response))
    assert "No field with the key “vpn_grop” is on this page." in response.content.decode()
    assert list(form.fields.values_list("key", flat=True)) == ["system"]
    assert not Condition.objects.exists()


def test_a_new_source_placed_after_its_target_is_refused(client_for, carol, form):
    client = client_for(carol)
    data = posted_values(client.get(change_url(form)))
    add_row(data, "fields", key="reason", label="Reason", type="text", position=5, **MATCHING)
    add_row(data, "fields", key="later", label="Later", type="text", position=30, **MATCHING)
    add_row(data, "conditions", target="key:reason", kind="visible_when", source="key:later", operator="is_not_empty")

    response = client.post(change_url(form), data)

    assert any(conditions_refused(response))
    assert "must be placed before" in response.content.decode()
    assert not Condition.objects.exists()


def test_a_value_that_is_not_a_choice_of_a_new_source_is_refused(client_for, carol, form):
    client = client_for(carol)
    data = posted_values(client.get(change_url(form)))
    add_row(data, "fields", key="office", label="Office", type="radio", position=20, choices="paris\nlyon", **MATCHING)
    add_row(data, "fields", key="floor", label="Floor", type="integer", position=30, **MATCHING)
    add_row(data, "conditions", target="key:floor", kind="visible_when", source="key:office", operator="equals",
            value="berlin")  # fmt: skip

    response = client.post(change_url(form), data)

    assert any(conditions_refused(response))
    assert "is not one of the choices of Office" in response.content.decode()
    assert list(form.fields.values_list("key", flat=True)) == ["system"]


def test_a_condition_on_a_new_field_uses_the_type_posted_for_a_stored_source(client_for, carol, form):
    """The stored source is made a number in the same save: the condition is judged by the new type."""
    client = client_for(carol)
    data = posted_values(client.get(change_url(form)))
    data |= {"fields-0-type": "integer", "fields-0-choices": ""}
    add_row(data, "fields", key="room", label="Room", type="text", position=20, **MATCHING)
    add_row(data, "conditions", target="key:room", kind="visible_when", source=form.fields.get().pk, operator="gt",
            value="3")  # fmt: skip

    response = client.post(change_url(form), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    assert Condition.objects.get().operator == "gt"


def test_a_refused_save_shows_the_new_fields_as_choices_again(client_for, carol, form):
    client = client_for(carol)
    data = posted_values(client.get(change_url(form)))
    add_row(data, "fields", key="room", label="Room", type="text", position=20, **MATCHING)
    # "is greater than" does not suit a drop-down.
    add_row(data, "conditions", target="key:room", kind="visible_when", source=form.fields.get().pk, operator="gt",
            value="3")  # fmt: skip

    response = client.post(change_url(form), data)

    conditions = response.context["inline_admin_formsets"][1].formset
    offered = [value for value, _label in conditions.forms[0].fields["target"].choices]
    assert "key:room" in offered
    assert 'value="key:room" selected' in response.content.decode()
