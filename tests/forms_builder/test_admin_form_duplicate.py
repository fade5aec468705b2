"""Duplicating a form makes an inactive copy with its own slug and its own copies of the fields and conditions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from forms_builder.models import Form
from forms_builder.services import form_duplicate
from tests.forms_builder.admin_support import change_url, two_field_bug_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def form(category):
    return two_field_bug_report(category)


def assert_is_a_copy_of(copy, form):
    assert copy.pk != form.pk and copy.slug != form.slug
    assert not copy.is_active
    assert list(copy.fields.values_list("key", "label", "position")) == list(
        form.fields.values_list("key", "label", "position")
    )
    condition = copy.conditions.get()
    assert (condition.target.form, condition.source.form) == (copy, copy)
    assert (condition.target.key, condition.source.key, condition.value) == ("version", "product", "desktop")


def test_duplicate_makes_an_inactive_copy_and_opens_it(client_for, carol, form):
    response = client_for(carol).post(reverse("admin:forms_builder_form_duplicate", args=[form.pk]))

    copy = Form.objects.exclude(pk=form.pk).get()
    assert response.status_code == 302
    assert response["Location"] == change_url(copy)
    assert_is_a_copy_of(copy, form)
    assert form.fields.count() == 2 and form.conditions.count() == 1


def test_duplicate_refuses_a_get(client_for, carol, form):
    response = client_for(carol).get(reverse("admin:forms_builder_form_duplicate", args=[form.pk]))

    assert response.status_code == 405
    assert Form.objects.count() == 1


def test_duplicate_selected_forms_action_copies_each(client_for, carol, form):
    response = client_for(carol).post(
        reverse("admin:forms_builder_form_changelist"),
        {"action": "duplicate_selected", "_selected_action": [form.pk]},
    )

    assert response.status_code == 302
    assert_is_a_copy_of(Form.objects.exclude(pk=form.pk).get(), form)


def test_duplicating_two_forms_says_how_many_copies_were_made(client_for, carol, form):
    other = form_duplicate(form=form, actor=carol)
    client = client_for(carol)

    response = client.post(
        reverse("admin:forms_builder_form_changelist"),
        {"action": "duplicate_selected", "_selected_action": [form.pk, other.pk]},
        follow=True,
    )

    assert "Made 2 inactive copies:" in response.content.decode()
