"""Publishing from the admin snapshots the saved draft as the next version; a draft with problems is refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from forms_builder.models import Field, FormVersion
from tests.forms_builder.admin_support import change_url, two_field_bug_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def form(category):
    return two_field_bug_report(category)


def publish_url(form):
    return reverse("admin:forms_builder_form_publish", args=[form.pk])


def test_publishing_twice_makes_versions_one_and_two_with_the_draft_at_each_time(client_for, carol, form):
    client = client_for(carol)

    first = client.post(publish_url(form), follow=True)
    Field.objects.create(form=form, key="steps", label="Steps", position=30)
    client.post(publish_url(form))

    assert "Published version 1" in first.content.decode()
    assert first.redirect_chain[-1][0] == change_url(form)
    versions = {version.number: version for version in FormVersion.objects.filter(form=form)}
    assert set(versions) == {1, 2}
    assert [field["key"] for field in versions[1].definition["fields"]] == ["product", "version"]
    assert [field["key"] for field in versions[2].definition["fields"]] == ["product", "version", "steps"]
    assert versions[2].published_by == carol


def test_a_draft_with_problems_is_not_published_and_says_why(client_for, carol, form):
    form.subject_template = "Bug in {nonexistent}"
    form.save()

    response = client_for(carol).post(publish_url(form), follow=True)

    assert "was not published" in response.content.decode()
    assert not FormVersion.objects.exists()


def test_publish_refuses_a_get(client_for, carol, form):
    response = client_for(carol).get(publish_url(form))

    assert response.status_code == 405
    assert not FormVersion.objects.exists()


def test_publish_selected_forms_action_publishes_each(client_for, carol, form):
    response = client_for(carol).post(
        reverse("admin:forms_builder_form_changelist"),
        {"action": "publish_selected", "_selected_action": [form.pk]},
        follow=True,
    )

    assert "Published version 1" in response.content.decode()
    assert FormVersion.objects.filter(form=form, number=1).exists()
