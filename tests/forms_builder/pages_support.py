"""The forms the page tests fill in: made with the ORM and published the way an admin would."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from accounts.models import User
from forms_builder.models import Condition, ConditionKind, Field, FieldType, Form, Operator
from forms_builder.services import form_publish
from tickets.models import Category


def bug_report_form(*, category: Category, admin: User, slug: str = "bug-report", public: bool = False) -> Form:
    """product (desktop/web/mobile); version, shown and required only for desktop; summary; details; an optional
    screenshot. Published once; subject "{product}: {summary}", description from "details"."""
    form = Form.objects.create(
        name="Bug report",
        slug=slug,
        description="Something does not work.",
        category=category,
        is_public=public,
        subject_template="{product}: {summary}",
        description_field="details",
    )
    product = Field.objects.create(
        form=form,
        key="product",
        label="Product",
        position=10,
        type=FieldType.SELECT,
        required=True,
        choices="desktop | Desktop\nweb | Web\nmobile | Mobile",
    )
    version = Field.objects.create(form=form, key="version", label="Version", position=20)
    Field.objects.create(form=form, key="summary", label="Summary", position=30, required=True, max_length=100)
    Field.objects.create(form=form, key="details", label="Details", position=40, type=FieldType.TEXTAREA)
    Field.objects.create(form=form, key="screenshot", label="Screenshot", position=50, type=FieldType.FILE)
    for kind in (ConditionKind.VISIBLE, ConditionKind.REQUIRED):
        Condition.objects.create(
            form=form, target=version, kind=kind, source=product, operator=Operator.EQUALS, value="desktop"
        )
    form_publish(form=form, actor=admin)
    return form


def simple_form(*, category: Category, admin: User, slug: str, name: str, public: bool = False) -> Form:
    form = Form.objects.create(name=name, slug=slug, category=category, is_public=public, subject_template="{question}")
    Field.objects.create(form=form, key="question", label="Question", position=10, required=True)
    form_publish(form=form, actor=admin)
    return form


def fill_url(form: Form) -> str:
    return reverse("form_fill", args=[form.slug])


def answers(**values: Any) -> dict[str, Any]:
    """POST data for the answers, under the names the page gives its inputs."""
    return {f"answer-{key}": value for key, value in values.items()}
