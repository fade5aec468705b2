"""GET /api/v1/forms/: the active, published forms, for every signed-in role, in the admins' order."""

from __future__ import annotations

import pytest

from forms_builder.models import Form
from forms_builder.services import form_publish
from tests.forms_builder.api.support import URL
from tests.forms_builder.examples import bug_report_form


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["slug"] for row in response.json()["results"]]


@pytest.fixture
def unpublished(category):
    return Form.objects.create(name="Draft", slug="draft", category=category, subject_template="x")


@pytest.fixture
def inactive(category, carol):
    form = bug_report_form(category=category, admin=carol, slug="retired")
    Form.objects.filter(pk=form.pk).update(is_active=False)
    return form


@pytest.mark.parametrize("role", ["alice", "bob", "carol"])
def test_every_role_lists_only_active_published_forms(request, api_client_for, role, bug_report, unpublished, inactive):
    assert slugs(api_client_for(request.getfixturevalue(role)).get(URL)) == ["bug-report"]


def test_a_public_form_is_listed_for_signed_in_users_too(api_client_for, alice, bug_report):
    Form.objects.filter(pk=bug_report.pk).update(is_public=True)
    (row,) = api_client_for(alice).get(URL).json()["results"]
    assert row["public"] is True


def test_a_row_says_what_the_form_is_and_which_version_is_in_use(api_client_for, alice, bug_report, category, carol):
    form_publish(form=bug_report, actor=carol)
    (row,) = api_client_for(alice).get(URL).json()["results"]
    assert row == {
        "slug": "bug-report",
        "name": "Bug report",
        "description": "Something is broken.",
        "category": category.pk,
        "default_priority": "high",
        "public": False,
        "version": 2,
    }


def test_forms_come_in_position_order(api_client_for, alice, category, carol):
    for slug, position in [("third", 30), ("first", 10), ("second", 20)]:
        bug_report_form(category=category, admin=carol, slug=slug, position=position)
    assert slugs(api_client_for(alice).get(URL)) == ["first", "second", "third"]


def test_pages_follow_the_cursor(api_client_for, alice, category, carol):
    for position in range(3):
        bug_report_form(category=category, admin=carol, slug=f"form-{position}", position=position)
    client = api_client_for(alice)
    first = client.get(URL, {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    assert [row["slug"] for row in first["results"] + second["results"]] == ["form-0", "form-1", "form-2"]
    assert second["next"] is None


def test_an_unknown_query_parameter_is_refused(api_client_for, alice, bug_report):
    response = api_client_for(alice).get(URL, {"category": 1})
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"category": ["Unknown query parameter."]}


def test_anonymous_gets_401(api_client_for, bug_report):
    assert api_client_for(None).get(URL).status_code == 401


def test_the_query_count_does_not_grow_with_the_page(
    api_client_for, alice, category, carol, django_assert_max_num_queries
):
    for position in range(10):
        bug_report_form(category=category, admin=carol, slug=f"form-{position}", position=position)
    client = api_client_for(alice)
    with django_assert_max_num_queries(3):
        assert len(slugs(client.get(URL))) == 10
