"""The form page: labelled inputs in the version's order, and the rules the conditional-fields script reads."""

from __future__ import annotations

import json

from django.contrib.staticfiles import finders
from django.http import HttpResponse
from whitenoise.middleware import WhiteNoiseMiddleware

from forms_builder.models import Field, FieldType, Form
from forms_builder.services import form_publish
from tests.forms_builder.examples import bug_report_form
from tests.forms_builder.pages_support import fill_url, simple_form
from tests.support.html import blocked_by_strict_csp, elements
from tickets.models import BODY_MAX_CHARS


def wrapper_of(html: str, key: str) -> dict[str, str | None]:
    return next(attrs for tag, attrs in elements(html) if attrs.get("data-field-key") == key)


def test_each_answer_has_a_label_tied_to_its_input_in_the_versions_order(alice, category, carol, client_for):
    form = bug_report_form(category=category, admin=carol)

    body = client_for(alice).get(fill_url(form)).content.decode()

    labels = [attrs["for"] for tag, attrs in elements(body) if tag == "label" and attrs.get("for")]
    keys = ["product", "version", "summary", "details", "screenshot"]
    assert labels == [f"id_answer-{key}" for key in keys]
    assert 'enctype="multipart/form-data"' in body


def test_the_conditional_field_carries_its_rules_for_the_script(alice, category, carol, client_for):
    form = bug_report_form(category=category, admin=carol)

    body = client_for(alice).get(fill_url(form)).content.decode()

    rules = {"match": "all", "conditions": [{"field": "product", "operator": "equals", "value": "desktop"}]}
    version = wrapper_of(body, "version")
    assert json.loads(version["data-visible-when"]) == rules
    assert json.loads(version["data-required-when"]) == rules
    assert "data-visible-when" not in wrapper_of(body, "product")


def test_only_unconditionally_required_inputs_are_required_by_the_browser(alice, category, carol, client_for):
    form = bug_report_form(category=category, admin=carol)

    body = client_for(alice).get(fill_url(form)).content.decode()

    inputs = {attrs.get("name"): attrs for tag, attrs in elements(body) if tag in {"input", "select", "textarea"}}
    assert "required" in inputs["answer-summary"] and "required" in inputs["answer-product"]
    assert "required" not in inputs["answer-version"]  # the script requires it once "desktop" is picked


def test_the_script_is_a_file_from_static_and_nothing_on_the_page_is_inline(alice, category, carol, client_for):
    form = bug_report_form(category=category, admin=carol)

    body = client_for(alice).get(fill_url(form)).content.decode()

    scripts = [attrs["src"] for tag, attrs in elements(body) if tag == "script"]
    assert scripts == ["/static/js/conditional-fields.js"]
    assert blocked_by_strict_csp(body) == []
    assert finders.find("js/conditional-fields.js")


def test_the_script_is_served_from_static_by_whitenoise(settings, rf):
    # The project's middleware indexed the files when the test run started; a fresh one finds them in static/.
    settings.WHITENOISE_USE_FINDERS = True
    middleware = WhiteNoiseMiddleware(lambda request: HttpResponse(status=404))

    response = middleware(rf.get("/static/js/conditional-fields.js"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert b"data-visible-when" in b"".join(response.streaming_content)


def test_an_unpublished_form_is_not_found(alice, category, client_for):
    Form.objects.create(name="Draft", slug="draft", category=category, subject_template="{x}")

    assert client_for(alice).get("/forms/draft/").status_code == 404


def test_an_inactive_form_is_not_found(alice, category, carol, client_for):
    form = simple_form(category=category, admin=carol, slug="old", name="Old form")
    Form.objects.filter(pk=form.pk).update(is_active=False)

    assert client_for(alice).get(fill_url(form)).status_code == 404


def test_anonymous_visitor_is_sent_to_sign_in_for_a_form_that_is_not_public(category, carol, client):
    form = simple_form(category=category, admin=carol, slug="internal", name="Internal form")

    response = client.get(fill_url(form))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/forms/internal/")


def test_anonymous_visitor_is_asked_for_an_email_on_a_public_form(category, carol, client):
    form = simple_form(category=category, admin=carol, slug="open", name="Open form", public=True)

    body = client.get(fill_url(form)).content.decode()

    email = next(attrs for tag, attrs in elements(body) if attrs.get("name") == "requester-email")
    assert email["type"] == "email" and "required" in email
    assert "Your email" in body


def test_signed_in_requester_is_not_asked_for_an_email(alice, category, carol, client_for):
    form = simple_form(category=category, admin=carol, slug="open", name="Open form", public=True)

    body = client_for(alice).get(fill_url(form)).content.decode()

    assert "requester-email" not in body


def test_text_inputs_stop_at_the_length_the_server_accepts(alice, category, carol, client_for):
    """The field's own maximum, else the most any answer may hold; a textarea's line break counts as one character
    in the browser and on the server alike (helpdesk.forms.MessageTextarea)."""
    form = bug_report_form(category=category, admin=carol)
    note = simple_form(category=category, admin=carol, slug="note", name="Note", kind=FieldType.TEXTAREA)
    Field.objects.filter(form=note, key="question").update(max_length=500)
    form_publish(form=note, actor=carol)

    body = (
        client_for(alice).get(fill_url(form)).content.decode() + client_for(alice).get(fill_url(note)).content.decode()
    )

    inputs = {attrs.get("name"): attrs for tag, attrs in elements(body) if tag in {"input", "select", "textarea"}}
    assert inputs["answer-summary"]["maxlength"] == "100"
    assert inputs["answer-question"]["maxlength"] == "500"
    assert inputs["answer-details"]["maxlength"] == str(BODY_MAX_CHARS)
    assert "maxlength" not in inputs["answer-product"] and "maxlength" not in inputs["answer-screenshot"]
