"""A one-question form for the page tests (the Bug report is tests.forms_builder.examples.bug_report_form), and
the names the page gives its inputs."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from accounts.models import User
from forms_builder.models import Field, FieldType, Form
from forms_builder.services import form_publish
from tickets.models import Category


def simple_form(
    *, category: Category, admin: User, slug: str, name: str, public: bool = False, kind: str = FieldType.TEXT
) -> Form:
    form = Form.objects.create(name=name, slug=slug, category=category, is_public=public, subject_template="{question}")
    Field.objects.create(form=form, key="question", label="Question", type=kind, position=10, required=True)
    form_publish(form=form, actor=admin)
    return form


def fill_url(form: Form) -> str:
    return reverse("form_fill", args=[form.slug])


def answers(**values: Any) -> dict[str, Any]:
    """POST data for the answers, under the names the page gives its inputs."""
    return {f"answer-{key}": value for key, value in values.items()}
