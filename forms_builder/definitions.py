"""The version document: what a published form is, as plain JSON. Every consumer reads this shape.

    {
      "form": {"slug": "bug-report", "name": "Bug report", "description": "...", "category": 3,
               "default_priority": "normal", "subject_template": "{product}: {summary}",
               "description_field": "details", "public": false},
      "fields": [                                   # in display order
        {"key": "product", "label": "Product", "help_text": "", "type": "select", "required": true,
         "rules": {"min_length": null, "max_length": null, "pattern": "", "min_value": null, "max_value": null,
                   "max_file_size": null, "allowed_extensions": []},
         "choices": [{"value": "desktop", "label": "Desktop"}, {"value": "web", "label": "Web"}],
         "visible_when": null,
         "required_when": null},
        {"key": "version", "label": "Version", ..., "required": false,
         "visible_when": {"match": "all",
                          "conditions": [{"field": "product", "operator": "equals", "value": "desktop"}]},
         "required_when": {"match": "all",
                           "conditions": [{"field": "product", "operator": "equals", "value": "desktop"}]}}
      ]
    }

Numbers in rules (min_value/max_value) are strings holding decimals (JSON has no decimal type), or null.
Condition values are strings; for `in`/`not_in` a list of strings; null for `is_empty`/`is_not_empty`.
"""

from __future__ import annotations

import datetime
import re
import string
from decimal import Decimal
from typing import Any

from rest_framework.settings import api_settings

from forms_builder.models import CHOICE_TYPES, Condition, Field, FieldType, Form, Match, Operator
from forms_builder.safe_regex import pattern_problem
from tickets.models import Priority

NUMERIC_TYPES = frozenset({FieldType.INTEGER, FieldType.DECIMAL})
TEXT_TYPES = frozenset({FieldType.TEXT, FieldType.TEXTAREA, FieldType.EMAIL, FieldType.URL})

# Which operators make sense on which source type. File fields cannot be a condition's source: the JSON answers
# (and so the published JSON Schema) never carry files.
_PRESENCE = frozenset({Operator.IS_EMPTY, Operator.IS_NOT_EMPTY})
_EQUALITY = frozenset({Operator.EQUALS, Operator.NOT_EQUALS})
_MEMBERSHIP = frozenset({Operator.IN, Operator.NOT_IN})
_ORDER = frozenset({Operator.GT, Operator.LT})
OPERATORS_BY_TYPE: dict[str, frozenset[str]] = {
    **{t: _PRESENCE | _EQUALITY | _MEMBERSHIP | {Operator.CONTAINS} for t in TEXT_TYPES},
    FieldType.INTEGER: _PRESENCE | _EQUALITY | _MEMBERSHIP | _ORDER,
    FieldType.DECIMAL: _PRESENCE | _EQUALITY | _MEMBERSHIP | _ORDER,
    FieldType.DATE: _PRESENCE | _EQUALITY | _ORDER,
    FieldType.SELECT: _PRESENCE | _EQUALITY | _MEMBERSHIP,
    FieldType.RADIO: _PRESENCE | _EQUALITY | _MEMBERSHIP,
    FieldType.MULTISELECT: _PRESENCE | _EQUALITY | _MEMBERSHIP | {Operator.CONTAINS},
    FieldType.CHECKBOX: _PRESENCE | _EQUALITY,
    FieldType.FILE: frozenset(),
}

# Which of a Field's rule attributes apply to which type (the engine ignores the others). The admin shows only these,
# and clears the others when a field is saved.
RULE_NAMES = (
    "min_length", "max_length", "pattern", "min_value", "max_value", "choices", "max_file_size", "allowed_extensions"
)  # fmt: skip
_LENGTHS = ("min_length", "max_length")
RULES_BY_TYPE: dict[str, tuple[str, ...]] = {
    **{t: (*_LENGTHS, "pattern") for t in TEXT_TYPES},
    FieldType.INTEGER: ("min_value", "max_value"),
    FieldType.DECIMAL: ("min_value", "max_value"),
    FieldType.DATE: (),
    FieldType.SELECT: ("choices",),
    FieldType.RADIO: ("choices",),
    FieldType.MULTISELECT: ("choices", *_LENGTHS),  # the fewest and most options to pick
    FieldType.CHECKBOX: (),
    FieldType.FILE: ("max_file_size", "allowed_extensions"),
}

EXTENSION_RE = re.compile(r"[a-z0-9]{1,10}")
INTEGER_RE = re.compile(r"[+-]?[0-9]+")
DECIMAL_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


# --- building the document from the draft -------------------------------------------------------------------------


def decimal_text(value: Decimal | None) -> str | None:
    """A decimal as its shortest plain string ("10", "2.5"), never exponent notation."""
    if value is None:
        return None
    # Trailing zeros are cut from the text, not by Decimal.normalize(), which rounds to the context's 28 digits.
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "+0") else text


def parse_choices(text: str) -> list[dict[str, str]]:
    """Lines "value | Label" (or just "value") as [{"value", "label"}]; blank lines skipped."""
    choices = []
    for line in text.splitlines():
        value, _bar, label = line.partition("|")
        value, label = value.strip(), label.strip()
        if value:
            choices.append({"value": value, "label": label or value})
    return choices


def parse_extensions(text: str) -> list[str]:
    """ "PDF, .png" -> ["pdf", "png"]."""
    extensions = []
    for part in text.split(","):
        extension = part.strip().lstrip(".").lower()
        if extension and extension not in extensions:
            extensions.append(extension)
    return extensions


def split_values(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def condition_value(operator: str, text: str) -> str | list[str] | None:
    if operator in _PRESENCE:
        return None
    if operator in _MEMBERSHIP:
        return split_values(text)
    return text.strip()


def field_definition(field: Field) -> dict[str, Any]:
    """One field of the document, without its conditions."""
    return {
        "key": field.key,
        "label": field.label,
        "help_text": field.help_text,
        "type": field.type,
        "required": field.required,
        "rules": {
            "min_length": field.min_length,
            "max_length": field.max_length,
            "pattern": field.pattern,
            "min_value": decimal_text(field.min_value),
            "max_value": decimal_text(field.max_value),
            "max_file_size": field.max_file_size,
            "allowed_extensions": parse_extensions(field.allowed_extensions),
        },
        "choices": parse_choices(field.choices) if field.type in CHOICE_TYPES else [],
        "visible_when": None,
        "required_when": None,
    }


def condition_definition(condition: Condition) -> dict[str, Any]:
    return {
        "field": condition.source.key,
        "operator": condition.operator,
        "value": condition_value(condition.operator, condition.value),
    }


def form_definition(form: Form) -> dict[str, Any]:
    """The draft definition of `form` from its current fields and conditions (what publishing would snapshot)."""
    fields = list(form.fields.order_by("position", "id"))
    documents = {field.pk: field_definition(field) for field in fields}
    matches = {
        field.pk: {"visible_when": field.visible_match, "required_when": field.required_match} for field in fields
    }
    for condition in form.conditions.select_related("source").order_by("id"):
        document = documents.get(condition.target_id)
        if document is None:
            continue
        group = document[condition.kind] or {"match": matches[condition.target_id][condition.kind], "conditions": []}
        group["conditions"].append(condition_definition(condition))
        document[condition.kind] = group
    return {
        "form": {
            "slug": form.slug,
            "name": form.name,
            "description": form.description,
            "category": form.category_id,
            "default_priority": Priority(form.default_priority).label,
            "subject_template": form.subject_template,
            "description_field": form.description_field,
            "public": form.is_public,
        },
        "fields": [documents[field.pk] for field in fields],
    }


# --- checking a document ------------------------------------------------------------------------------------------

# The names a refused submission gives its own problems, in the same `details` as the answers' problems by field
# key: the API body's other keys and DRF's key for problems tied to none of them; the form's (closed or unpublished:
# services.submission_create); and those opening its ticket may refuse under (tickets.services.ticket_create: the
# files, the requester, a category or team deleted meanwhile). A multipart body also carries file fields' uploads
# as parts named after their key. A field keyed like one of these could not be told apart from it.
RESERVED_KEYS = frozenset(
    {"answers", "requester", api_settings.NON_FIELD_ERRORS_KEY, "form", "files", "category", "team"}
)


def error_key(key: str) -> str:
    """The name a field's problems are reported under: its key, or `answers.<key>` for a reserved one, which no key
    can take (keys are slugs). Only a version published before its key was reserved has one, and it stays the
    version submissions use until an admin renames the field and publishes again; its answers keep their key."""
    return f"answers.{key}" if key in RESERVED_KEYS else key


def field_rule_problems(field: dict[str, Any]) -> list[str]:
    """What is wrong with one field's own settings: its key, type and rules (not its conditions)."""
    return [problem for problems in field_rule_problems_by_rule(field).values() for problem in problems]


def field_rule_problems_by_rule(field: dict[str, Any]) -> dict[str, list[str]]:
    """The same, keyed by the Field model attribute to blame (so the admin shows each next to its input)."""
    problems: dict[str, list[str]] = {}
    rules = field["rules"]
    if field["key"] in RESERVED_KEYS:
        problems["key"] = [f"“{field['key']}” is a name the submission API uses itself; choose another key."]
    if field["type"] not in FieldType.values:
        problems["type"] = [f"“{field['type']}” is not a field type."]
    if rules.get("pattern"):
        problem = pattern_problem(rules["pattern"])
        if problem:
            problems["pattern"] = [problem]
    if _both_and_reversed(rules.get("min_length"), rules.get("max_length")):
        problems["max_length"] = ["The minimum length is larger than the maximum length."]
    if _both_and_reversed(_decimal(rules.get("min_value")), _decimal(rules.get("max_value"))):
        problems["max_value"] = ["The minimum value is larger than the maximum value."]
    if field["type"] in CHOICE_TYPES and (choice_problems := _choice_problems(field["choices"])):
        problems["choices"] = choice_problems
    bad_extensions = [e for e in rules.get("allowed_extensions") or [] if not EXTENSION_RE.fullmatch(e)]
    if bad_extensions:
        problems["allowed_extensions"] = [
            f"“{e}” is not a file extension: use letters and digits, like “pdf”." for e in bad_extensions
        ]
    return problems


def _both_and_reversed(low: Any, high: Any) -> bool:
    return low is not None and high is not None and low > high


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _choice_problems(choices: list[dict[str, str]]) -> list[str]:
    if not choices:
        return ["Give at least one choice, one per line: “value | Label”."]
    values = [choice["value"] for choice in choices]
    problems = []
    if len(set(values)) != len(values):
        problems.append("Each choice needs a different value.")
    if any("," in value for value in values):
        problems.append("Choice values cannot contain commas.")
    return problems


def coerce_condition_value(source: dict[str, Any], operator: str, value: Any) -> Any:
    """The condition's value in the source field's terms (int, Decimal, date, bool, str, frozenset), for the
    engine and the JSON Schema alike. Raises ValueError with a sentence when it makes no sense for the source."""
    if operator in _PRESENCE:
        return None
    if operator in _MEMBERSHIP:
        values = value if isinstance(value, list) else split_values(str(value or ""))
        if not values:
            raise ValueError("Give at least one value, separated by commas.")
        return tuple(_coerce_one(source, v) for v in values)
    text = str(value or "").strip()
    if not text:
        raise ValueError("Give a value to compare with.")
    if source["type"] == FieldType.MULTISELECT and operator in _EQUALITY:
        # "equals" on a multiple choice compares the whole selection, given as comma-separated values, as a set.
        return frozenset(_coerce_one(source, v) for v in split_values(text))
    return _coerce_one(source, text)


def _coerce_one(source: dict[str, Any], text: str) -> Any:
    kind = source["type"]
    label = source["label"]
    if kind == FieldType.INTEGER:
        if not INTEGER_RE.fullmatch(text):
            raise ValueError(f"“{text}” is not a whole number.")
        return int(text)
    if kind == FieldType.DECIMAL:
        if not DECIMAL_RE.fullmatch(text):
            raise ValueError(f"“{text}” is not a number.")
        return Decimal(text)
    if kind == FieldType.DATE:
        return parse_date(text)
    if kind == FieldType.CHECKBOX:
        if text.lower() not in ("true", "false"):
            raise ValueError("A checkbox condition compares with “true” or “false”.")
        return text.lower() == "true"
    if kind in CHOICE_TYPES and text not in {choice["value"] for choice in source["choices"]}:
        raise ValueError(f"“{text}” is not one of the choices of {label}.")
    return text


def parse_date(text: str) -> datetime.date:
    try:
        if DATE_RE.fullmatch(text):
            return datetime.date.fromisoformat(text)
    except ValueError:
        pass
    raise ValueError(f"“{text}” is not a date like 2024-12-31.")


def condition_problems(source: dict[str, Any] | None, condition: dict[str, Any], *, placed_before: bool) -> list[str]:
    """What is wrong with one condition, given its source field (None when unknown)."""
    name = condition.get("field")
    if source is None:
        return [f"The condition refers to “{name}”, which is not a field of this form."]
    if not placed_before:
        return [f"A condition can only depend on a field placed before this one; “{name}” is not."]
    operator = condition.get("operator")
    if source["type"] == FieldType.FILE:
        return [f"Conditions cannot depend on the file upload “{name}”."]
    if operator not in OPERATORS_BY_TYPE.get(source["type"], frozenset()):
        return [f"“{operator}” cannot be used with {source['label']} ({source['type']})."]
    try:
        coerce_condition_value(source, operator, condition.get("value"))
    except ValueError as error:
        return [str(error)]
    return []


def _group_problems(
    group: dict[str, Any] | None, earlier: dict[str, dict[str, Any]], later: set[str], own_key: str
) -> list[str]:
    if group is None:
        return []
    problems = []
    if group.get("match") not in Match.values:
        problems.append("Conditions must match “all” or “any”.")
    for condition in group.get("conditions") or []:
        name = condition.get("field")
        if name == own_key:
            problems.append("A field cannot depend on itself; choose a field placed before it.")
            continue
        source = earlier.get(name)
        placed_before = source is not None
        if source is None and name in later:
            source = {"type": "", "label": name}
        problems.extend(condition_problems(source, condition, placed_before=placed_before))
    return problems


def subject_template_keys(template: str) -> list[str]:
    """The field keys the template uses. Raises ValueError for anything but plain "{key}" placeholders."""
    keys = []
    for _literal, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if not name or spec or conversion or not re.fullmatch(r"[-a-zA-Z0-9_]+", name):
            raise ValueError(f"“{{{name}}}” is not a field placeholder; write the field's key in braces.")
        keys.append(name)
    return keys


def _form_problems(definition: dict[str, Any], by_key: dict[str, dict[str, Any]]) -> list[str]:
    form = definition.get("form", {})
    problems = []
    if not definition.get("fields"):
        problems.append("Add at least one field.")
    try:
        keys = subject_template_keys(form.get("subject_template", ""))
    except ValueError as error:
        problems.append(f"Subject template: {error}")
        keys = []
    for key in keys:
        if key not in by_key:
            problems.append(f"The subject template uses “{{{key}}}”, which is not a field of this form.")
        elif by_key[key]["type"] == FieldType.FILE:
            problems.append(f"The subject template cannot use the file upload “{{{key}}}”.")
    description_field = form.get("description_field")
    if description_field and (description_field not in by_key or by_key[description_field]["type"] == FieldType.FILE):
        problems.append(f"The description field “{description_field}” is not a (non-file) field of this form.")
    return problems


def definition_problems(definition: dict[str, Any]) -> dict[str, list[str]]:
    """What is wrong with a definition, keyed by field key ("" for the form): unknown or later/own source fields in
    a condition (conditions may only refer to fields placed before), operators that make no sense for the source's
    type, regexes that do not compile or exceed the length cap, duplicate or reserved keys, unknown subject-template
    keys.
    Empty when publishable."""
    problems: dict[str, list[str]] = {}
    fields = definition.get("fields") or []
    by_key = {field["key"]: field for field in fields}
    earlier: dict[str, dict[str, Any]] = {}
    for index, field in enumerate(fields):
        key = field["key"]
        found = []
        if key in earlier:
            found.append(f"Another field already uses the key “{key}”.")
        found.extend(field_rule_problems(field))
        # "Later" includes the field itself, so self-references and cycles are both refused here.
        later = {other["key"] for other in fields[index:]}
        found.extend(_group_problems(field.get("visible_when"), earlier, later, key))
        found.extend(_group_problems(field.get("required_when"), earlier, later, key))
        if found:
            problems.setdefault(key, []).extend(found)
        earlier.setdefault(key, field)
    form_problems = _form_problems(definition, by_key)
    if form_problems:
        problems[""] = form_problems
    return problems
