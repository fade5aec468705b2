"""Definitions and draft forms shared by the forms_builder tests."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from accounts.models import User
from forms_builder.definitions import form_definition
from forms_builder.models import Condition, ConditionKind, Field, FieldType, Form, FormVersion
from forms_builder.services import form_publish
from tickets.models import Category, Priority


def spec(key: str, type: str = FieldType.TEXT, *, required: bool = False, **extra: Any) -> dict[str, Any]:
    """One field of a version document, with empty rules unless given."""
    rules = {
        "min_length": None,
        "max_length": None,
        "pattern": "",
        "min_value": None,
        "max_value": None,
        "max_file_size": None,
        "allowed_extensions": [],
    }
    rules.update(extra.pop("rules", {}))
    return {
        "key": key,
        "label": extra.pop("label", key.replace("_", " ").capitalize()),
        "help_text": "",
        "type": type,
        "required": required,
        "rules": rules,
        "choices": [{"value": value, "label": value.capitalize()} for value in extra.pop("choices", [])],
        "visible_when": extra.pop("visible_when", None),
        "required_when": extra.pop("required_when", None),
    }


def when(*conditions: tuple[str, str, Any], match: str = "all") -> dict[str, Any]:
    return {"match": match, "conditions": [{"field": f, "operator": op, "value": v} for f, op, v in conditions]}


def document(*fields: dict[str, Any], subject: str = "Request", description_field: str = "") -> dict[str, Any]:
    return {
        "form": {
            "slug": "example",
            "name": "Example",
            "description": "",
            "category": None,
            "default_priority": "normal",
            "subject_template": subject,
            "description_field": description_field,
            "public": False,
        },
        "fields": list(fields),
    }


def bug_report() -> dict[str, Any]:
    """The issue's example: the version is asked (and required) only for the desktop product."""
    desktop = when(("product", "equals", "desktop"))
    return document(
        spec("product", FieldType.SELECT, required=True, choices=["desktop", "web"]),
        spec("version", visible_when=desktop, required_when=desktop, rules={"max_length": 20}),
        spec("summary", FieldType.TEXTAREA, required=True, rules={"min_length": 3, "max_length": 200}),
        spec("affected_users", FieldType.INTEGER, rules={"min_value": "1", "max_value": "1000"}),
        spec("browsers", FieldType.MULTISELECT, choices=["firefox", "chrome", "safari"]),
        spec("urgent", FieldType.CHECKBOX),
        spec("noticed_on", FieldType.DATE),
        subject="{product}: {summary}",
        description_field="summary",
    )


def bug_report_form(
    category: Category, *, admin: User | None = None, slug: str = "bug-report", public: bool = False, position: int = 0
) -> Form:
    """The Bug report form in the database: product (desktop/web); version, shown and required only for desktop;
    summary (required); details, which becomes the ticket description; an optional screenshot (png or txt). High
    priority, subject "{product}: {summary}". Published once by `admin` when given (as the admin would), else a draft.
    """
    form = Form.objects.create(
        name="Bug report",
        slug=slug,
        description="Something is broken.",
        category=category,
        default_priority=Priority.HIGH,
        is_public=public,
        position=position,
        subject_template="{product}: {summary}",
        description_field="details",
    )
    product, version = add_product_and_version(form)
    Condition.objects.create(form=form, target=version, kind=ConditionKind.REQUIRED, source=product, value="desktop")
    Field.objects.create(form=form, key="summary", label="Summary", position=30, required=True, max_length=100)
    Field.objects.create(form=form, key="details", label="Details", position=40, type=FieldType.TEXTAREA)
    Field.objects.create(
        form=form, key="screenshot", label="Screenshot", position=50, type=FieldType.FILE, allowed_extensions="png, txt"
    )
    if admin is not None:
        form_publish(form=form, actor=admin)
    return form


def add_product_and_version(form: Form) -> tuple[Field, Field]:
    """The fields every Bug report starts with: product (desktop/web), then version, shown only for desktop."""
    product = Field.objects.create(
        form=form, key="product", label="Product", position=10, type=FieldType.SELECT, required=True,
        choices="desktop | Desktop\nweb | Web",
    )  # fmt: skip
    version = Field.objects.create(form=form, key="version", label="Version", position=20)
    Condition.objects.create(form=form, target=version, kind=ConditionKind.VISIBLE, source=product, value="desktop")
    return product, version


def form_with_one_field(*, category: Category, admin: User, key: str, public: bool = False, **field: Any) -> Form:
    """A form whose one field is keyed `key`, published as it was before that key was refused (definition_problems
    is not asked): its version stays the one submissions use until an admin renames the field and publishes again."""
    form = Form.objects.create(
        name="Callback", slug="callback", category=category, is_public=public, subject_template="Call back"
    )
    Field.objects.create(form=form, key=key, label="Answer", position=10, **field)
    FormVersion.objects.create(
        form=form, number=1, definition=form_definition(form), published_at=timezone.now(), published_by=admin
    )
    return form
