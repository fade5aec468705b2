"""A version document compiled to JSON Schema (draft 2020-12), conditions as if/then. Served to integrators.

It describes the JSON answers exactly as forms_builder.engine reads them (see its docstring), so a client can
validate before submitting:
- each field's visibility is a definition under `$defs/visible_<key>`; a field's rules apply only inside
  `if visible then ...`, so a hidden field accepts anything (its value is dropped, never stored);
- a condition on a field that is itself hidden sees it as empty, which is how chains of conditions behave;
- "required" (and `required_when`) means present and not empty (null, "", only spaces, [] or false) while visible;
- regular expressions are given as `pattern` in the Python dialect the server uses, anchored to the whole answer;
  the common subset reads the same in ECMA-262;
- file fields are uploaded as multipart parts next to the answers, not inside them, so their properties are
  described but unconstrained.
Dates carry `"format": "date"`; validate with a format checker to catch impossible dates such as 2023-02-30.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from forms_builder.definitions import TEXT_TYPES, coerce_condition_value
from forms_builder.engine import EMAIL_PATTERN, URL_PATTERN, holds_when_empty
from forms_builder.models import FieldType, Operator
from forms_builder.safe_regex import MAX_MATCH_LENGTH
from tickets.models import BODY_MAX_CHARS

DIALECT = "https://json-schema.org/draft/2020-12/schema"
FILE_NOTE = "A file upload: sent as multipart form data next to the answers, not inside them."
# "Nothing follows" in both Python and ECMA-262 regexes; `$` alone also matches before a final newline in Python.
END = r"(?![\s\S])"

Schema = dict[str, Any] | bool


def version_json_schema(definition: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of the `answers` object. Agrees with forms_builder.engine.check_answers on every JSON answer
    set (a property test checks that)."""
    by_key = {spec["key"]: spec for spec in definition["fields"]}
    properties: dict[str, Any] = {}
    definitions: dict[str, Schema] = {}
    rules: list[Schema] = []
    for spec in definition["fields"]:
        key = spec["key"]
        properties[key] = _annotation(spec)
        if spec["type"] == FieldType.FILE:
            continue
        definitions[f"visible_{key}"] = _group(spec.get("visible_when"), by_key) or True
        rules.append({"if": _visible(key), "then": _when_visible(spec, by_key)})
    schema: dict[str, Any] = {
        "$schema": DIALECT,
        "title": definition["form"]["name"],
        "type": "object",
        "properties": properties,
    }
    if rules:
        schema["allOf"] = rules
    if definitions:
        schema["$defs"] = definitions
    return schema


def _annotation(spec: Mapping[str, Any]) -> dict[str, Any]:
    annotation = {"title": spec["label"]}
    if spec["type"] == FieldType.FILE:
        annotation["description"] = FILE_NOTE
    elif spec.get("help_text"):
        annotation["description"] = spec["help_text"]
    return annotation


def _visible(key: str) -> dict[str, Any]:
    return {"$ref": f"#/$defs/visible_{key}"}


def _when_visible(spec: Mapping[str, Any], by_key: Mapping[str, Mapping[str, Any]]) -> Schema:
    answered = {
        "required": [spec["key"]],
        "properties": {spec["key"]: {"allOf": [{"not": _empty(spec)}, _value(spec)]}},
    }
    optional = {"properties": {spec["key"]: {"anyOf": [_empty(spec), _value(spec)]}}}
    if spec["required"]:
        return answered
    required_when = _group(spec.get("required_when"), by_key)
    if required_when is None:
        return optional
    return {"if": required_when, "then": answered, "else": optional}


# --- one field's values -------------------------------------------------------------------------------------------


def _empty(spec: Mapping[str, Any]) -> dict[str, Any]:
    """What the engine treats as no answer for this field."""
    empties: list[Schema] = [{"type": "null"}, {"type": "string", "pattern": r"^\s*$"}]
    if spec["type"] == FieldType.MULTISELECT:
        empties.append({"type": "array", "maxItems": 0})
    if spec["type"] == FieldType.CHECKBOX:
        empties.append({"const": False})
    return {"anyOf": empties}


def _anchored(pattern: str) -> dict[str, Any]:
    return {"pattern": f"^(?:{pattern}){END}"}


def _number(text: str) -> int | float:
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


def _value(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The rules a non-empty answer must meet."""
    kind = spec["type"]
    rules = spec["rules"]
    if kind in TEXT_TYPES:
        parts: list[Schema] = [{"type": "string", "maxLength": BODY_MAX_CHARS}]
        if rules.get("min_length") is not None:
            parts.append({"minLength": rules["min_length"]})
        if rules.get("max_length") is not None:
            parts.append({"maxLength": rules["max_length"]})
        if kind == FieldType.EMAIL:
            parts.append({"format": "email", "maxLength": MAX_MATCH_LENGTH, **_anchored(EMAIL_PATTERN)})
        if kind == FieldType.URL:
            parts.append({"maxLength": MAX_MATCH_LENGTH, **_anchored(URL_PATTERN)})
        if rules.get("pattern"):
            parts.append({"maxLength": MAX_MATCH_LENGTH, **_anchored(rules["pattern"])})
        return {"allOf": parts}
    if kind in (FieldType.INTEGER, FieldType.DECIMAL):
        schema: dict[str, Any] = {"type": "integer" if kind == FieldType.INTEGER else "number"}
        if rules.get("min_value") is not None:
            schema["minimum"] = _number(rules["min_value"])
        if rules.get("max_value") is not None:
            schema["maximum"] = _number(rules["max_value"])
        return schema
    if kind == FieldType.DATE:
        return {"type": "string", "format": "date", **_anchored("[0-9]{4}-[0-9]{2}-[0-9]{2}")}
    values = [choice["value"] for choice in spec["choices"]]
    if kind in (FieldType.SELECT, FieldType.RADIO):
        return {"enum": values}
    if kind == FieldType.MULTISELECT:
        schema = {"type": "array", "items": {"enum": values}, "uniqueItems": True}
        if rules.get("min_length") is not None:
            schema["minItems"] = rules["min_length"]
        if rules.get("max_length") is not None:
            schema["maxItems"] = rules["max_length"]
        return schema
    if kind == FieldType.CHECKBOX:
        return {"const": True}
    return {}


# --- conditions -----------------------------------------------------------------------------------------------------


def _group(group: Mapping[str, Any] | None, by_key: Mapping[str, Mapping[str, Any]]) -> Schema | None:
    if not group or not group.get("conditions"):
        return None
    conditions = [_condition(by_key[c["field"]], c["operator"], c.get("value")) for c in group["conditions"]]
    return {"anyOf": conditions} if group.get("match") == "any" else {"allOf": conditions}


def _condition(source: Mapping[str, Any], operator: str, value: Any) -> Schema:
    """The condition on the source's effective value: its answer while visible, empty while hidden."""
    key = source["key"]
    expected = coerce_condition_value(source, operator, value)
    is_empty = {"anyOf": [{"not": {"required": [key]}}, {"properties": {key: _empty(source)}}]}
    answered = {
        "required": [key],
        "not": is_empty,
        "properties": {key: {"allOf": [_value(source), _operator(source, operator, expected)]}},
    }
    if holds_when_empty(source, operator, expected):
        return {"anyOf": [{"not": _visible(key)}, is_empty, answered]}
    return {"allOf": [_visible(key), answered]}


def _operator(source: Mapping[str, Any], operator: str, expected: Any) -> Schema:
    """The operator on a valid, non-empty answer."""
    kind = source["type"]
    if operator in (Operator.IS_EMPTY, Operator.IS_NOT_EMPTY):
        return operator == Operator.IS_NOT_EMPTY
    if operator == Operator.NOT_EQUALS:
        return {"not": _operator(source, Operator.EQUALS, expected)}
    if operator == Operator.NOT_IN:
        return {"not": _operator(source, Operator.IN, expected)}
    if operator == Operator.EQUALS:
        if kind == FieldType.MULTISELECT:
            return {
                "items": {"enum": sorted(expected)},
                "allOf": [{"contains": {"const": v}} for v in sorted(expected)],
            }
        return _equal_to(kind, expected)
    if operator == Operator.IN:
        if kind == FieldType.MULTISELECT:
            return {"contains": {"enum": list(expected)}}
        return {"anyOf": [_equal_to(kind, v) for v in expected]}
    if operator == Operator.CONTAINS:
        return {"contains": {"const": expected}} if kind == FieldType.MULTISELECT else {"pattern": re.escape(expected)}
    if kind == FieldType.DATE:
        return {
            "pattern": _date_after(expected.isoformat())
            if operator == Operator.GT
            else _date_before(expected.isoformat())
        }
    number = _number(str(expected))
    return {"exclusiveMinimum": number} if operator == Operator.GT else {"exclusiveMaximum": number}


def _equal_to(kind: str, expected: Any) -> Schema:
    if isinstance(expected, bool):
        return {"const": expected}
    if kind in (FieldType.INTEGER, FieldType.DECIMAL):
        number = _number(str(expected))
        return {"minimum": number, "maximum": number}
    if kind == FieldType.DATE:
        return {"const": expected.isoformat()}
    return {"const": expected}


def _date_after(iso: str) -> str:
    """Valid YYYY-MM-DD strings order like dates, so "later" is "larger at the first differing digit"."""
    options = [re.escape(iso[:i]) + f"[{int(ch) + 1}-9]" for i, ch in enumerate(iso) if ch.isdigit() and ch != "9"]
    return "^(?:" + "|".join(options) + ")" if options else "(?!)"


def _date_before(iso: str) -> str:
    options = [re.escape(iso[:i]) + f"[0-{int(ch) - 1}]" for i, ch in enumerate(iso) if ch.isdigit() and ch != "0"]
    return "^(?:" + "|".join(options) + ")" if options else "(?!)"
