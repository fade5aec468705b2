"""A field's own rules are checked on save: a broken regular expression or an inverted range is an error on the
page, not a 500 and not a saved row."""

from __future__ import annotations

import pytest

from forms_builder.models import Field
from tests.forms_builder.admin_support import change_url, posted_values, row_index, two_field_bug_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def form(category):
    return two_field_bug_report(category)


def post_version_field(client, form, **values):
    data = posted_values(client.get(change_url(form)))
    index = row_index(data, "fields", form.fields.get(key="version").pk)
    data |= {f"fields-{index}-{name}": value for name, value in values.items()}
    return client.post(change_url(form), data)


def field_errors(response):
    return [errors for errors in response.context["inline_admin_formsets"][0].formset.errors if errors]


def test_a_regular_expression_that_does_not_compile_is_refused(client_for, carol, form):
    response = post_version_field(client_for(carol), form, pattern="([0-9]+")

    assert response.status_code == 200
    assert field_errors(response)
    assert Field.objects.get(form=form, key="version").pattern == ""


def test_a_minimum_length_above_the_maximum_is_refused(client_for, carol, form):
    response = post_version_field(client_for(carol), form, min_length=10, max_length=2)

    assert response.status_code == 200
    assert field_errors(response)
    assert Field.objects.get(form=form, key="version").min_length is None


def test_a_choice_field_without_choices_is_refused(client_for, carol, form):
    response = post_version_field(client_for(carol), form, type="select", choices="")

    assert response.status_code == 200
    assert field_errors(response)
    assert Field.objects.get(form=form, key="version").type == "text"


def test_a_key_the_submission_api_uses_itself_is_refused_next_to_the_key(client_for, carol, form):
    response = post_version_field(client_for(carol), form, key="requester")

    assert response.status_code == 200
    assert field_errors(response) == [
        {"key": ["“requester” is a name the submission API uses itself; choose another key."]}
    ]
    assert not Field.objects.filter(form=form, key="requester").exists()
