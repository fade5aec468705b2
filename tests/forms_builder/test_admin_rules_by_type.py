"""The builder shows each field only the rules of its type (the others are on the page, hidden, for the script to
show when the type changes), and a save clears the rules that do not apply to the type saved."""

from __future__ import annotations

import pytest

from forms_builder.definitions import RULE_NAMES
from forms_builder.models import Field, Form
from tests.forms_builder.admin_support import change_url, posted_values, row_index
from tests.support.html import elements

pytestmark = pytest.mark.django_db


@pytest.fixture
def form(category):
    form = Form.objects.create(name="Access", slug="access", category=category, subject_template="Access")
    Field.objects.create(form=form, key="system", label="System", position=10, type="select", choices="vpn\nmail")
    Field.objects.create(form=form, key="seats", label="Seats", position=20, type="integer", min_value=1)
    Field.objects.create(form=form, key="reason", label="Reason", position=30, pattern="[a-z]+")
    return form


def shown_rules(html: str) -> set[str]:
    """The rules that this piece of the page shows (not hidden)."""
    prefix = "fb-control fb-control-"
    shown = set()
    for tag, attrs in elements(html):
        classes = attrs.get("class") or ""
        if tag == "div" and "data-rule-types" in attrs and "hidden" not in attrs and classes.startswith(prefix):
            shown.add(classes.removeprefix(prefix).split()[0])
    return shown


def rules_in_row(html: str, index: int) -> set[str]:
    start = html.index(f'id="fields-{index}"')
    end = html.find('class="inline-related', start)
    return shown_rules(html[start : end if end != -1 else None])


def test_each_field_shows_only_the_rules_of_its_type(client_for, carol, form):
    html = client_for(carol).get(change_url(form)).content.decode()

    assert rules_in_row(html, 0) == {"choices"}
    assert rules_in_row(html, 1) == {"min_value", "max_value"}
    assert rules_in_row(html, 2) == {"min_length", "max_length", "pattern"}


def test_every_rule_is_on_the_page_for_the_script_with_the_types_it_applies_to(client_for, carol, form):
    html = client_for(carol).get(change_url(form)).content.decode()

    marked = [attrs for tag, attrs in elements(html) if tag == "div" and "data-rule-types" in attrs]
    # Three stored rows, the blank extra row and the template row for "Add another".
    assert len(marked) == 5 * len(RULE_NAMES)
    choices = next(attrs for attrs in marked if "fb-control-choices" in (attrs["class"] or ""))
    assert set(choices["data-rule-types"].split()) == {"select", "multiselect", "radio"}


def test_changing_the_type_clears_the_rules_the_new_type_does_not_use(client_for, carol, form):
    client = client_for(carol)
    data = posted_values(client.get(change_url(form)))
    index = row_index(data, "fields", form.fields.get(key="reason").pk)
    # The hidden pattern input still holds a broken expression: it no longer applies, so it neither refuses the save
    # nor is kept.
    data |= {f"fields-{index}-type": "integer", f"fields-{index}-pattern": "([", f"fields-{index}-max_value": "9"}

    response = client.post(change_url(form), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    reason = form.fields.get(key="reason")
    assert (reason.type, reason.pattern, reason.max_value) == ("integer", "", 9)


def test_a_rule_of_the_chosen_type_is_still_checked(client_for, carol, form):
    client = client_for(carol)
    data = posted_values(client.get(change_url(form)))
    index = row_index(data, "fields", form.fields.get(key="reason").pk)
    data[f"fields-{index}-pattern"] = "(["

    response = client.post(change_url(form), data)

    assert response.status_code == 200
    assert form.fields.get(key="reason").pattern == "[a-z]+"
