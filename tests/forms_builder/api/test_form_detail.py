"""GET /api/v1/forms/{slug}/: the published version, never the unpublished draft."""

from __future__ import annotations

import pytest

from forms_builder.models import Field, Form
from forms_builder.services import form_publish
from tests.forms_builder.api.support import URL


def test_detail_is_the_published_version_document(api_client_for, alice, bug_report, category):
    response = api_client_for(alice).get(f"{URL}bug-report/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["version"] == 1
    assert body["form"]["slug"] == "bug-report"
    assert body["form"]["category"] == category.pk
    assert body["form"]["default_priority"] == "high"
    assert [field["key"] for field in body["fields"]] == ["product", "version", "summary", "details", "screenshot"]
    product, version = body["fields"][:2]
    assert [choice["value"] for choice in product["choices"]] == ["desktop", "web"]
    assert version["visible_when"] == {
        "match": "all",
        "conditions": [{"field": "product", "operator": "equals", "value": "desktop"}],
    }


def test_an_edit_after_publishing_does_not_show_until_published_again(api_client_for, alice, bug_report, carol):
    Field.objects.filter(form=bug_report, key="product").update(label="Which product?")
    client = api_client_for(alice)
    assert client.get(f"{URL}bug-report").json()["fields"][0]["label"] == "Product"
    form_publish(form=bug_report, actor=carol)
    body = client.get(f"{URL}bug-report").json()
    assert (body["version"], body["fields"][0]["label"]) == (2, "Which product?")


@pytest.mark.parametrize("slug", ["no-such-form", "inactive", "unpublished"])
def test_unknown_inactive_and_unpublished_forms_are_404(api_client_for, bob, bug_report, category, slug):
    Form.objects.filter(pk=bug_report.pk).update(slug="inactive", is_active=False)
    Form.objects.create(name="Draft", slug="unpublished", category=category, subject_template="x")
    response = api_client_for(bob).get(f"{URL}{slug}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
