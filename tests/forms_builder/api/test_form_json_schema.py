"""GET /api/v1/forms/{slug}/schema: the published version as a draft 2020-12 JSON Schema of `answers`."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from forms_builder.models import Form
from tests.forms_builder.api.support import URL

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


@pytest.fixture
def validator(api_client_for, alice, bug_report) -> Draft202012Validator:
    response = api_client_for(alice).get(f"{URL}bug-report/schema")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    schema = response.json()
    assert schema["$schema"] == DRAFT_2020_12
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@pytest.mark.parametrize(
    "answers",
    [
        {"product": "web", "summary": "Login button does nothing"},
        {"product": "desktop", "version": "2.1", "summary": "Crashes on start"},
    ],
)
def test_valid_answers_pass_the_schema(validator, answers):
    assert list(validator.iter_errors(answers)) == []


@pytest.mark.parametrize(
    "answers",
    [
        {"product": "desktop", "summary": "Crashes on start"},  # version is required for desktop
        {"product": "mobile", "summary": "No such product"},
        {"product": "web"},  # summary is always required
    ],
)
def test_invalid_answers_fail_the_schema(validator, answers):
    assert list(validator.iter_errors(answers)) != []


def test_asking_for_schema_json_gets_that_media_type(api_client_for, alice, bug_report):
    response = api_client_for(alice).get(f"{URL}bug-report/schema/", HTTP_ACCEPT="application/schema+json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/schema+json"


def test_an_unpublished_form_has_no_schema_and_the_404_is_json(api_client_for, alice, category):
    Form.objects.create(name="Draft", slug="draft", category=category, subject_template="x")
    response = api_client_for(alice).get(f"{URL}draft/schema", HTTP_ACCEPT="application/schema+json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"
