"""The forms page lists what each visitor may use, grouped by category."""

from __future__ import annotations

import pytest
from django.urls import reverse

from forms_builder.models import Form
from tests.forms_builder.pages_support import simple_form
from tickets.models import Category


@pytest.fixture
def forms(category, carol):
    other = Category.objects.create(name="Access", slug="access", default_team=category.default_team)
    simple_form(category=category, admin=carol, slug="refund", name="Refund request")
    simple_form(category=other, admin=carol, slug="new-laptop", name="Public laptop request", public=True)
    Form.objects.create(name="Never published", slug="draft", category=category, subject_template="{x}")
    retired = simple_form(category=category, admin=carol, slug="retired", name="Retired form", public=True)
    retired.is_active = False
    retired.save()


def test_signed_in_requester_sees_every_active_published_form_under_its_category(alice, forms, client_for):
    body = client_for(alice).get(reverse("form_list")).content.decode()

    assert "Refund request" in body and "Public laptop request" in body
    assert body.index("Access") < body.index("Public laptop request") < body.index("Billing")
    assert body.index("Billing") < body.index("Refund request")


def test_unpublished_and_inactive_forms_are_not_listed(alice, forms, client_for):
    body = client_for(alice).get(reverse("form_list")).content.decode()

    assert "Never published" not in body
    assert "Retired form" not in body


def test_anonymous_visitor_sees_only_public_forms(forms, client):
    response = client.get(reverse("form_list"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Public laptop request" in body
    assert "Refund request" not in body


def test_forms_in_an_inactive_category_are_not_offered_to_requesters(alice, category, forms, client_for):
    category.is_active = False
    category.save()

    body = client_for(alice).get(reverse("form_list")).content.decode()

    assert "Refund request" not in body
    assert "Public laptop request" in body
