"""Helpers for the forms admin tests: a small form made with the ORM, and admin POST data read off the page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpResponse
from django.urls import reverse

from forms_builder.models import Form
from tests.forms_builder.examples import add_product_and_version
from tickets.models import Category


def two_field_bug_report(category: Category) -> Form:
    """A small draft: "product" then "version", with "version" shown only for the desktop product."""
    form = Form.objects.create(
        name="Bug report", slug="bug-report", category=category, subject_template="Bug in {product}"
    )
    add_product_and_version(form)
    return form


def change_url(form: Form) -> str:
    return reverse("admin:forms_builder_form_change", args=[form.pk])


def posted_values(response: HttpResponse) -> dict[str, Any]:
    """What the browser would post back unchanged from an admin add/change page: the main form, every inline's
    management form and rows, under the prefixes the page itself uses."""
    data: dict[str, Any] = {}
    forms_on_page = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms_on_page += [inline.formset.management_form, *inline.formset.forms]
    for form in forms_on_page:
        for name, field in form.fields.items():
            bound = form[name]
            value = bound.value()
            if isinstance(field.widget, forms.CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
            elif value is not None:
                data[bound.html_name] = value
    return data


def add_row(data: dict[str, Any], prefix: str, **values: Any) -> int:
    """Append a filled-in row to an inline's POST data (as "Add another" would); returns its index."""
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = index + 1
    for name, value in values.items():
        data[f"{prefix}-{index}-{name}"] = value
    return index


def row_index(data: dict[str, Any], prefix: str, pk: int) -> int:
    """The index of the stored row `pk` in an inline's POST data."""
    for index in range(int(data[f"{prefix}-TOTAL_FORMS"])):
        if str(data.get(f"{prefix}-{index}-id")) == str(pk):
            return index
    raise LookupError(f"no row {pk} in {prefix}")
