"""Django forms drawn from a version document. They only render inputs and collect the raw values:
every rule (required, visibility, types, lengths, patterns, choices) is decided by `forms_builder.engine`, so the
page, the API and the admin preview can never disagree about what is valid.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict

from forms_builder.definitions import TEXT_TYPES, error_key
from forms_builder.engine import check_answers, text_max_length
from forms_builder.models import FieldType
from helpdesk.errors import DomainError
from helpdesk.forms import MessageTextarea, MultipleFileInput, PageForm, SubmitTokenField

# Answer inputs are named "answer-<key>" and the email input "requester-email", so no field key can collide with
# the email input (or with Django's own names) however the admin names it.
ANSWERS_PREFIX = "answer"
REQUESTER_PREFIX = "requester"

TEXT_WIDGETS: dict[str, type[forms.Widget]] = {
    FieldType.TEXT: forms.TextInput,
    FieldType.EMAIL: forms.EmailInput,
    FieldType.URL: forms.URLInput,
    FieldType.INTEGER: forms.NumberInput,
    FieldType.DATE: forms.DateInput,
}


class RawField(forms.Field):
    """A field that keeps what was typed: no coercion and no checks, the engine does both."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["required"] = False
        super().__init__(*args, **kwargs)


def _choices(spec: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(choice["value"], choice["label"]) for choice in spec.get("choices") or []]


def _widget(spec: Mapping[str, Any]) -> forms.Widget:
    kind = spec["type"]
    if kind == FieldType.TEXTAREA:
        return MessageTextarea(attrs={"rows": 6})
    if kind == FieldType.DECIMAL:
        return forms.NumberInput(attrs={"step": "any"})
    if kind == FieldType.DATE:
        return forms.DateInput(attrs={"type": "date"})
    if kind == FieldType.SELECT:
        return forms.Select(choices=[("", "Choose…"), *_choices(spec)])
    if kind == FieldType.RADIO:
        return forms.RadioSelect(choices=_choices(spec))
    if kind == FieldType.MULTISELECT:
        return forms.CheckboxSelectMultiple(choices=_choices(spec))
    if kind == FieldType.CHECKBOX:
        return forms.CheckboxInput()
    if kind == FieldType.FILE:
        extensions = (spec.get("rules") or {}).get("allowed_extensions") or []
        accept = {"accept": ",".join(f".{extension}" for extension in extensions)} if extensions else {}
        return MultipleFileInput(attrs=accept)
    return TEXT_WIDGETS.get(kind, forms.TextInput)()


# A `required` attribute on each box of a group would demand every box; the server alone judges these.
NO_REQUIRED_ATTRIBUTE = frozenset({FieldType.MULTISELECT, FieldType.CHECKBOX})


def is_always_required(spec: Mapping[str, Any]) -> bool:
    """Required whatever else is answered, so the browser may check it even without our script."""
    return bool(spec.get("required")) and not spec.get("visible_when") and spec["type"] not in NO_REQUIRED_ATTRIBUTE


def _form_field(spec: Mapping[str, Any]) -> forms.Field:
    field = RawField(widget=_widget(spec))
    field.label = spec["label"]
    field.help_text = spec.get("help_text") or ""
    if is_always_required(spec):
        field.widget.attrs["required"] = True
    if spec["type"] in TEXT_TYPES:
        # A textarea's line break counts as one character here as on the server (helpdesk.forms.MessageTextarea).
        field.widget.attrs["maxlength"] = text_max_length(spec)
    return field


class AnswersForm(PageForm):
    """The inputs of one published version, in its field order, named by field key."""

    def __init__(self, *args: Any, definition: Mapping[str, Any], **kwargs: Any) -> None:
        kwargs.setdefault("prefix", ANSWERS_PREFIX)
        super().__init__(*args, **kwargs)
        self.definition = definition
        self.specs = {spec["key"]: spec for spec in definition["fields"]}
        for key, spec in self.specs.items():
            self.fields[key] = _form_field(spec)
        # The engine's problems come under each field's error_key: a reserved key's is not the submission's own.
        self.keys_by_error_key = {error_key(key): key for key in self.specs}

    def raw_answers(self) -> QueryDict:
        """What was posted, as strings under the field keys. Handed over as form data (a QueryDict), so the engine
        parses numbers and checkboxes from text and strips it, as it does for every HTML form."""
        raw = QueryDict(mutable=True)
        for key, spec in self.specs.items():
            if spec["type"] == FieldType.FILE or not self.data:
                continue
            name = self.add_prefix(key)
            if isinstance(self.fields[key].widget, MessageTextarea) and name in self.data:
                # Read through the widget, so a line break counts as the one character the browser counted against
                # the field's length rules (helpdesk.forms.MessageTextarea), not as the two it sent.
                raw[key] = self[key].data
            else:
                raw.setlist(key, self.data.getlist(name))
        return raw

    def raw_files(self) -> dict[str, list[UploadedFile]]:
        uploads = {key: self[key].data for key, spec in self.specs.items() if spec["type"] == FieldType.FILE}
        return {key: list(files) for key, files in uploads.items() if files}

    def add_domain_error(self, error: DomainError) -> None:
        """The engine's messages next to the inputs they are about; anything else goes above the form."""
        for key, messages in error.details.items():
            self.add_error(self.keys_by_error_key.get(key), messages)
        if not error.details:
            self.add_error(None, error.message)

    def add_engine_errors(self) -> None:
        """The engine's messages on these answers, for a post refused before they reach `submission_create` (a
        guest's address): one post shows every problem, not the answers' only once the address is fixed."""
        checked = check_answers(self.definition, self.raw_answers(), self.raw_files())
        for key, messages in checked.errors.items():
            self.add_error(self.keys_by_error_key[key], messages)

    def wrappers(self) -> list[FieldWrapper]:
        return [FieldWrapper(self[key], spec) for key, spec in self.specs.items()]


class FieldWrapper:
    """A bound field with the rules the conditional-fields script reads from its wrapper's data attributes."""

    def __init__(self, bound_field: forms.BoundField, spec: Mapping[str, Any]) -> None:
        self.field = bound_field
        self.key = spec["key"]
        self.type = spec["type"]
        self.required = bool(spec.get("required"))
        self.always_required = self.required and not spec.get("visible_when")
        self.visible_when = _rules_json(spec.get("visible_when"))
        self.required_when = _rules_json(spec.get("required_when"))


def _rules_json(rules: Mapping[str, Any] | None) -> str:
    # The template engine escapes it into the attribute; the script parses it back with JSON.parse.
    return json.dumps(rules, separators=(",", ":")) if rules else ""


class RequesterEmailForm(PageForm):
    """Who asks, when nobody is signed in: the ticket's updates and the account go to this address."""

    email = forms.EmailField(
        label="Your email",
        max_length=254,
        help_text="We send updates about your request here.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", REQUESTER_PREFIX)
        super().__init__(*args, **kwargs)


class SubmitOnceForm(PageForm):
    """The fill page's one-time token (helpdesk.idempotency.page_post_once), beside the answers: unprefixed, so no
    field key an admin picks can take its name."""

    submit_token = SubmitTokenField()
