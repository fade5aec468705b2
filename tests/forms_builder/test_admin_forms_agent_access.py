"""Forms are helpdesk configuration: an agent gets 403 on every forms admin page and action."""

from __future__ import annotations

import pytest
from django.urls import reverse

from forms_builder.models import Form, FormVersion
from tests.forms_builder.admin_support import two_field_bug_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def form(category):
    return two_field_bug_report(category)


@pytest.mark.parametrize(
    "name",
    [
        "admin:forms_builder_form_changelist",
        "admin:forms_builder_form_add",
        "admin:forms_builder_formversion_changelist",
        "admin:forms_builder_submission_changelist",
    ],
)
def test_agent_gets_403_on_forms_admin_lists(client_for, bob, name):
    assert client_for(bob).get(reverse(name)).status_code == 403


@pytest.mark.parametrize("view", ["change", "preview"])
def test_agent_gets_403_on_a_forms_pages(client_for, bob, form, view):
    assert client_for(bob).get(reverse(f"admin:forms_builder_form_{view}", args=[form.pk])).status_code == 403


@pytest.mark.parametrize("view", ["publish", "duplicate"])
def test_agent_gets_403_on_publish_and_duplicate(client_for, bob, form, view):
    response = client_for(bob).post(reverse(f"admin:forms_builder_form_{view}", args=[form.pk]))

    assert response.status_code == 403
    assert (Form.objects.count(), FormVersion.objects.count()) == (1, 0)


def test_requester_is_sent_to_the_admin_sign_in(client_for, alice, form):
    response = client_for(alice).get(reverse("admin:forms_builder_form_preview", args=[form.pk]))

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
