"""The one engine: evaluates conditions and validates answers against a version document.

The HTML form, the API and the admin preview all call this; nothing else re-implements the rules.

Two kinds of input are read:
- JSON answers (a plain mapping): values must have their JSON type — text as strings, integer and decimal as
  numbers, checkbox as true/false, multiselect as a list of strings, date as "YYYY-MM-DD". Text is kept exactly as
  given. This is what forms_builder.json_schema describes, and the two agree on every answer set.
- HTML form data (anything with `getlist`, i.e. a QueryDict): every value is a string; multiselect is read with
  getlist, numbers and checkboxes are parsed from text, text is stripped.
In both, null, "" and whitespace-only text count as empty, as do an empty selection and an unticked checkbox.

Conditions see each earlier field's effective value: its cleaned value, or "empty" when it is hidden or blank (so a
field that depends on a hidden field behaves as if that field were blank). A source whose value is invalid makes
the condition false — the source's own error is reported anyway.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import UploadedFile

from forms_builder.definitions import (
    DECIMAL_RE,
    INTEGER_RE,
    TEXT_TYPES,
    coerce_condition_value,
    decimal_text,
    error_key,
    parse_date,
)
from forms_builder.models import FieldType, Operator
from forms_builder.safe_regex import MAX_MATCH_LENGTH, compile_safe
from tickets.models import BODY_MAX_CHARS
from tickets.services.attachments import display_filename, empty_file_message

EMAIL_PATTERN = r"[^@\s]+@[^@\s]+\.[^@\s]+"
URL_PATTERN = r"https?://[^\s/?#]+(?:[/?#]\S*)?"


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


EMPTY = _Marker("EMPTY")
INVALID = _Marker("INVALID")


class _Refused(ValueError):
    """A value that cannot be accepted; the message is shown to the requester."""


@dataclass
class Checked:
    """The outcome of checking a set of answers.

    `answers`: the cleaned, JSON-serialisable answers of the VISIBLE fields only (hidden fields' values are dropped,
    never stored): text/email/url/textarea -> str, integer -> int, decimal -> str (canonical decimal), date ->
    "YYYY-MM-DD", select/radio -> str, multiselect -> list[str], checkbox -> bool, file -> omitted here (see `files`).
    Empty optional answers are omitted.
    `files`: visible file fields' uploads, keyed by field key.
    `errors`: {field key: [messages]}, empty when valid; a reserved key's under `answers.<key>` (definitions.error_key),
    so they never share a name with a refused submission's own problems.
    """

    answers: dict[str, Any] = field(default_factory=dict)
    files: dict[str, list[UploadedFile]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    visible: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors


def visible_keys(definition: Mapping[str, Any], answers: Mapping[str, Any]) -> list[str]:
    """Keys of the fields shown for these raw answers, in order (a field hidden by a hidden field is hidden too)."""
    return check_answers(definition, answers).visible


def check_answers(
    definition: Mapping[str, Any],
    answers: Mapping[str, Any],
    files: Mapping[str, Sequence[UploadedFile]] | None = None,
) -> Checked:
    """Validate raw answers (JSON types from the API, or strings / lists of strings from an HTML form) against the
    definition: hidden fields are skipped and dropped, `required` applies only when visible, `required_when` makes a
    visible field required, type rules and field rules apply. Unknown keys are ignored."""
    form_data = hasattr(answers, "getlist")
    files = files or {}
    checked = Checked()
    effective: dict[str, Any] = {}
    by_key: dict[str, Mapping[str, Any]] = {}
    for spec in definition["fields"]:
        key = spec["key"]
        by_key[key] = spec
        if not _group_holds(spec.get("visible_when"), effective, by_key, default=True):
            effective[key] = EMPTY
            continue
        checked.visible.append(key)
        required = spec["required"] or _group_holds(spec.get("required_when"), effective, by_key, default=False)
        if spec["type"] == FieldType.FILE:
            effective[key] = _check_files(spec, list(files.get(key) or []), required, checked)
            continue
        try:
            value = clean_value(spec, _raw(answers, key, spec["type"], form_data), form_data=form_data)
        except _Refused as error:
            checked.errors[key] = [str(error)]
            effective[key] = INVALID
            continue
        effective[key] = value
        if value is EMPTY:
            if required:
                checked.errors[key] = [_required_message(spec)]
            continue
        checked.answers[key] = _stored(spec, value)
    checked.errors = {error_key(key): messages for key, messages in checked.errors.items()}
    return checked


def _raw(answers: Mapping[str, Any], key: str, kind: str, form_data: bool) -> Any:
    if form_data and kind == FieldType.MULTISELECT:
        return answers.getlist(key)  # type: ignore[attr-defined]
    return answers.get(key)


def _required_message(spec: Mapping[str, Any]) -> str:
    if spec["type"] == FieldType.CHECKBOX:
        return "Tick this box to continue."
    if spec["type"] in (FieldType.MULTISELECT, FieldType.SELECT, FieldType.RADIO):
        return "Choose an option."
    return "This field is required."


def _stored(spec: Mapping[str, Any], value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


# --- cleaning one value -------------------------------------------------------------------------------------------


def is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def clean_value(spec: Mapping[str, Any], raw: Any, *, form_data: bool = False) -> Any:
    """The cleaned value of one visible, non-file field, or EMPTY. Raises _Refused with the message to show."""
    kind = spec["type"]
    if kind == FieldType.MULTISELECT:
        return _clean_multiselect(spec, raw)
    if kind == FieldType.CHECKBOX:
        return _clean_checkbox(raw, form_data)
    if is_blank(raw):
        return EMPTY
    if kind in TEXT_TYPES:
        return _clean_text(spec, raw, form_data)
    if kind == FieldType.INTEGER:
        return _check_range(spec, _clean_integer(raw, form_data))
    if kind == FieldType.DECIMAL:
        return _check_range(spec, _clean_decimal(raw, form_data))
    if kind == FieldType.DATE:
        return _clean_date(raw, form_data)
    if kind in (FieldType.SELECT, FieldType.RADIO):
        return _clean_choice(spec, raw)
    raise _Refused("This field cannot be answered here.")


def _clean_text(spec: Mapping[str, Any], raw: Any, form_data: bool) -> str:
    if not isinstance(raw, str):
        raise _Refused("Enter text.")
    text = raw.strip() if form_data else raw
    rules = spec["rules"]
    if rules.get("min_length") is not None and len(text) < rules["min_length"]:
        raise _Refused(f"Enter at least {rules['min_length']} characters.")
    if len(text) > text_max_length(spec):
        raise _Refused(f"Enter at most {text_max_length(spec)} characters.")
    for pattern, refusal in _formats(spec):  # after the length check, which bounds the matcher's work
        if not compile_safe(pattern).fullmatch(text):
            raise _Refused(refusal)
    return text


def text_max_length(spec: Mapping[str, Any]) -> int:
    """The most characters a text answer may hold (the page's inputs stop there too): the field's own maximum; the
    ticket body's, whatever the form's rules, as an answer may become the description and is stored and indexed; and
    the pattern matcher's when a format applies, which bounds the linear-time matcher (forms_builder/safe_regex.py)."""
    limits = [BODY_MAX_CHARS]
    if spec["rules"].get("max_length") is not None:
        limits.append(spec["rules"]["max_length"])
    if _formats(spec):
        limits.append(MAX_MATCH_LENGTH)
    return min(limits)


TYPE_FORMATS = {
    FieldType.EMAIL: (EMAIL_PATTERN, "Enter an email address, like name@example.com."),
    FieldType.URL: (URL_PATTERN, "Enter a web address starting with http:// or https://."),
}


def _formats(spec: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The patterns a text answer must match, each with its refusal: its type's (email, web address), the field's."""
    formats = [TYPE_FORMATS[spec["type"]]] if spec["type"] in TYPE_FORMATS else []
    if spec["rules"].get("pattern"):
        formats.append((spec["rules"]["pattern"], "This answer is not in the expected format."))
    return formats


def _clean_integer(raw: Any, form_data: bool) -> int:
    if isinstance(raw, str) and form_data and INTEGER_RE.fullmatch(raw.strip()):
        return _int_from_text(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
        raise _Refused("Enter a whole number.")
    if isinstance(raw, float | Decimal) and not math.isfinite(raw):
        raise _Refused("Enter a whole number.")
    if raw != int(raw):
        raise _Refused("Enter a whole number.")
    return int(raw)


def _int_from_text(text: str) -> int:
    try:
        return int(text)
    except ValueError as error:  # more digits than Python converts from text (sys.get_int_max_str_digits)
        raise _Refused("Enter a whole number.") from error


def _clean_decimal(raw: Any, form_data: bool) -> Decimal:
    if isinstance(raw, str) and form_data and DECIMAL_RE.fullmatch(raw.strip()):
        return Decimal(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
        raise _Refused("Enter a number.")
    try:
        # str() first: a JSON 0.1 means the decimal 0.1, not the binary float's exact expansion.
        value = Decimal(str(raw)) if isinstance(raw, float) else Decimal(raw)
    except InvalidOperation as error:
        raise _Refused("Enter a number.") from error
    if not value.is_finite():
        raise _Refused("Enter a number.")
    return value


def _check_range(spec: Mapping[str, Any], value: int | Decimal) -> int | Decimal:
    rules = spec["rules"]
    if rules.get("min_value") is not None and value < Decimal(rules["min_value"]):
        raise _Refused(f"Enter a number no smaller than {rules['min_value']}.")
    if rules.get("max_value") is not None and value > Decimal(rules["max_value"]):
        raise _Refused(f"Enter a number no larger than {rules['max_value']}.")
    return value


def _clean_date(raw: Any, form_data: bool) -> datetime.date:
    if not isinstance(raw, str):
        raise _Refused("Enter a date like 2024-12-31.")
    try:
        return parse_date(raw.strip() if form_data else raw)
    except ValueError as error:
        raise _Refused(str(error)) from error


def _choice_values(spec: Mapping[str, Any]) -> set[str]:
    return {choice["value"] for choice in spec["choices"]}


def _clean_choice(spec: Mapping[str, Any], raw: Any) -> str:
    if not isinstance(raw, str) or raw not in _choice_values(spec):
        raise _Refused("Choose one of the options.")
    return raw


def _clean_multiselect(spec: Mapping[str, Any], raw: Any) -> Any:
    if is_blank(raw) or raw == []:
        return EMPTY
    if not isinstance(raw, list | tuple) or not all(isinstance(item, str) for item in raw):
        raise _Refused("Choose from the options.")
    if any(item not in _choice_values(spec) for item in raw):
        raise _Refused("Choose only from the options.")
    if len(set(raw)) != len(raw):
        raise _Refused("Choose each option only once.")
    rules = spec["rules"]
    if rules.get("min_length") is not None and len(raw) < rules["min_length"]:
        raise _Refused(f"Choose at least {rules['min_length']} options.")
    if rules.get("max_length") is not None and len(raw) > rules["max_length"]:
        raise _Refused(f"Choose at most {rules['max_length']} options.")
    # Kept in the form's order, whatever order they were sent in.
    order = [choice["value"] for choice in spec["choices"]]
    return tuple(sorted(raw, key=order.index))


_FORM_TRUE = frozenset({"on", "true", "1", "yes"})
_FORM_FALSE = frozenset({"", "off", "false", "0", "no"})


def _clean_checkbox(raw: Any, form_data: bool) -> Any:
    """An unticked checkbox is empty: browsers do not send it at all."""
    if raw is None or raw is False or (isinstance(raw, str) and not raw.strip()):
        return EMPTY
    if raw is True:
        return True
    if form_data and isinstance(raw, str) and raw.strip().lower() in _FORM_TRUE | _FORM_FALSE:
        return True if raw.strip().lower() in _FORM_TRUE else EMPTY
    raise _Refused("Tick the box or leave it empty.")


def _check_files(spec: Mapping[str, Any], uploads: list[UploadedFile], required: bool, checked: Checked) -> Any:
    key = spec["key"]
    rules = spec["rules"]
    problems = []
    for upload in uploads:
        # The name the attachment is stored and shown under, so the message names the file the ticket would hold.
        name = display_filename(upload.name or "")
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        allowed = rules.get("allowed_extensions") or []
        if allowed and extension not in allowed:
            problems.append(f"“{name}” is not an allowed type; upload {', '.join(allowed)}.")
        if not upload.size:
            problems.append(empty_file_message(upload.name or ""))
        elif rules.get("max_file_size") is not None and upload.size > rules["max_file_size"]:
            problems.append(f"“{name}” is larger than {rules['max_file_size']} bytes.")
    if problems:
        checked.errors[key] = problems
        return INVALID
    if not uploads:
        if required:
            checked.errors[key] = ["Upload a file."]
        return EMPTY
    checked.files[key] = uploads
    return tuple(upload.name for upload in uploads)


# --- conditions -----------------------------------------------------------------------------------------------------


def _group_holds(
    group: Mapping[str, Any] | None,
    effective: Mapping[str, Any],
    by_key: Mapping[str, Mapping[str, Any]],
    *,
    default: bool,
) -> bool:
    if not group or not group.get("conditions"):
        return default
    results = (
        condition_holds(by_key[c["field"]], c["operator"], c.get("value"), effective.get(c["field"], EMPTY))
        for c in group["conditions"]
    )
    return any(results) if group.get("match") == "any" else all(results)


def condition_holds(source: Mapping[str, Any], operator: str, value: Any, current: Any) -> bool:
    """Whether "<source> <operator> <value>" holds for the source's effective value (cleaned, EMPTY or INVALID)."""
    if current is INVALID:
        return False
    expected = coerce_condition_value(source, operator, value)
    if current is EMPTY:
        return holds_when_empty(source, operator, expected)
    return _compare(source["type"], operator, expected, current)


def holds_when_empty(source: Mapping[str, Any], operator: str, expected: Any) -> bool:
    """An empty (or hidden) source: an unticked checkbox is false; anything else is "nothing"."""
    if source["type"] == FieldType.CHECKBOX and operator in (Operator.EQUALS, Operator.NOT_EQUALS):
        return (expected is False) == (operator == Operator.EQUALS)
    return operator in (Operator.IS_EMPTY, Operator.NOT_EQUALS, Operator.NOT_IN)


def _compare(kind: str, operator: str, expected: Any, current: Any) -> bool:
    multi = kind == FieldType.MULTISELECT
    if operator == Operator.IS_EMPTY:
        return False
    if operator == Operator.IS_NOT_EMPTY:
        return True
    if operator == Operator.EQUALS:
        return (frozenset(current) == expected) if multi else current == expected
    if operator == Operator.NOT_EQUALS:
        return (frozenset(current) != expected) if multi else current != expected
    if operator in (Operator.IN, Operator.NOT_IN):
        # On a multiple choice, "is one of" means at least one selected option is in the list.
        hit = bool(set(current) & set(expected)) if multi else current in expected
        return hit if operator == Operator.IN else not hit
    if operator == Operator.CONTAINS:
        return expected in current
    if operator == Operator.GT:
        return current > expected
    if operator == Operator.LT:
        return current < expected
    return False
