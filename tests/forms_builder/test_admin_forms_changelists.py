"""The forms, versions and submissions lists render and search for an admin; versions and submissions are
read-only records."""

from __future__ import annotations

import pytest
from django.urls import reverse

from forms_builder.models import Form, FormVersion, Submission
from tests.forms_builder.admin_support import two_field_bug_report

pytestmark = pytest.mark.django_db

DEFINITION = {
    "form": {"slug": "bug-report", "name": "Bug report"},
    "fields": [{"key": "product", "label": "Product"}, {"key": "version", "label": "Version"}],
}


@pytest.fixture
def submission(category, ticket, carol):
    form = two_field_bug_report(category)
    version = FormVersion.objects.create(form=form, number=1, definition=DEFINITION, published_by=carol)
    return Submission.objects.create(
        version=version,
        ticket=ticket,
        answers={"product": "desktop", "version": "4.2"},
        answers_text="Product: desktop",
    )


@pytest.mark.parametrize("model", ["form", "formversion", "submission"])
def test_changelist_searches_for_an_admin(client_for, carol, submission, model):
    response = client_for(carol).get(reverse(f"admin:forms_builder_{model}_changelist"), {"q": "bug"})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_forms_changelist_shows_the_latest_version_number(client_for, carol, submission):
    FormVersion.objects.create(form=submission.version.form, number=2, definition=DEFINITION)

    response = client_for(carol).get(reverse("admin:forms_builder_form_changelist"))

    assert response.context["cl"].result_list[0].latest_version_number == 2


def test_submission_page_links_its_ticket_and_labels_its_answers(client_for, carol, submission):
    page = client_for(carol).get(reverse("admin:forms_builder_submission_change", args=[submission.pk]))

    body = page.content.decode()
    assert reverse("admin:tickets_ticket_change", args=[submission.ticket_id]) in body
    assert "<th>Version</th><td>4.2</td>" in body


@pytest.mark.parametrize("model", ["formversion", "submission"])
def test_versions_and_submissions_cannot_be_added_or_deleted(client_for, carol, submission, model):
    client = client_for(carol)
    record = submission.version if model == "formversion" else submission

    assert client.get(reverse(f"admin:forms_builder_{model}_add")).status_code == 403
    assert client.post(reverse(f"admin:forms_builder_{model}_delete", args=[record.pk])).status_code == 403
    assert FormVersion.objects.count() == 1 and Submission.objects.count() == 1


def test_forms_changelist_query_count_does_not_grow(client_for, carol, category, django_assert_max_num_queries):
    client = client_for(carol)
    client.get(reverse("admin:forms_builder_form_changelist"))  # warm the session and content types
    for position in range(10):
        form = Form.objects.create(name=f"F{position}", slug=f"f{position}", category=category, subject_template="x")
        FormVersion.objects.create(form=form, number=1, definition=DEFINITION)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("admin:forms_builder_form_changelist"))

    assert response.context["cl"].result_count == 10
