"""The Bug report form the API tests submit: made with the ORM, published like an admin would."""

from __future__ import annotations

from accounts.models import User
from forms_builder.models import Condition, ConditionKind, Field, FieldType, Form, Operator
from forms_builder.services import form_publish
from tickets.models import Category, Priority

URL = "/api/v1/forms/"


def bug_report_form(*, category: Category, admin: User, slug: str = "bug-report", position: int = 0) -> Form:
    """product (desktop/web); version, shown and required only for desktop; summary; details; an optional
    screenshot. Published once, high priority, subject "{product}: {summary}"."""
    form = Form.objects.create(
        name="Bug report",
        slug=slug,
        description="Something is broken.",
        category=category,
        default_priority=Priority.HIGH,
        position=position,
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
        choices="desktop | Desktop\nweb | Web",
    )
    version = Field.objects.create(form=form, key="version", label="Version", position=20)
    Field.objects.create(form=form, key="summary", label="Summary", position=30, required=True, max_length=100)
    Field.objects.create(form=form, key="details", label="Details", position=40, type=FieldType.TEXTAREA)
    Field.objects.create(
        form=form,
        key="screenshot",
        label="Screenshot",
        position=50,
        type=FieldType.FILE,
        allowed_extensions="png, txt",
    )
    for kind in (ConditionKind.VISIBLE, ConditionKind.REQUIRED):
        Condition.objects.create(
            form=form, target=version, kind=kind, source=product, operator=Operator.EQUALS, value="desktop"
        )
    form_publish(form=form, actor=admin)
    return form


def submissions_url(form: Form) -> str:
    return f"{URL}{form.slug}/submissions/"
