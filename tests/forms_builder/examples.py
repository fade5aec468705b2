"""Definitions and draft forms shared by the forms_builder tests."""

from __future__ import annotations

from typing import Any

from forms_builder.models import Condition, ConditionKind, Field, FieldType, Form
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


def bug_report_form(category: Category, *, public: bool = False, priority: int = Priority.HIGH) -> Form:
    """The same form as a draft in the database."""
    form = Form.objects.create(
        name="Bug report",
        slug="bug-report",
        category=category,
        default_priority=priority,
        is_public=public,
        subject_template="{product}: {summary}",
        description_field="summary",
    )
    product = Field.objects.create(
        form=form, key="product", label="Product", position=1, type=FieldType.SELECT, required=True,
        choices="desktop | Desktop\nweb | Web",
    )  # fmt: skip
    version = Field.objects.create(form=form, key="version", label="Version", position=2)
    Field.objects.create(form=form, key="summary", label="Summary", position=3, type=FieldType.TEXTAREA, required=True)
    Field.objects.create(
        form=form, key="screenshot", label="Screenshot", position=4, type=FieldType.FILE,
        allowed_extensions="PNG, .jpg", max_file_size=1000,
    )  # fmt: skip
    for kind in (ConditionKind.VISIBLE, ConditionKind.REQUIRED):
        Condition.objects.create(form=form, target=version, kind=kind, source=product, value="desktop")
    return form
