"""Form pieces every app's pages use: labels without colons, several files from one input, service errors."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Model
from django.forms.models import ModelChoiceIterator
from django.forms.renderers import BaseRenderer
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from helpdesk.errors import DomainError

# Services name the uploaded files "files" in their error details; on the pages that field is "attachments".
DETAIL_FIELD_ALIASES = {"files": "attachments"}


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input, Django's documented recipe. Cleans to a list, empty when none were sent."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        clean_one = super().clean
        if isinstance(data, list | tuple):
            return [clean_one(item, initial) for item in data]
        return [clean_one(data, initial)] if data else []


class MessageTextarea(forms.Textarea):
    """A message's textarea, its line breaks read back as the browser counted them. A browser sends each one as CRLF
    (HTML form submission) but counts it as one character against the textarea's maxlength: read as sent, a text the
    browser let through would be refused as too long, and a text sent back untouched would read as changed."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        value = super().value_from_datadict(data, files, name)
        return value.replace("\r\n", "\n") if isinstance(value, str) else value


class PageForm(forms.Form):
    """Labels without a trailing colon. Django 5.2 ties errors and help text to inputs with aria-describedby."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class SubmitTokenField(forms.CharField):
    """A form's one-time token, new on every load of its page and sent back in a hidden input: the same post sent
    again (a double click, the browser resending it) carries the same token (helpdesk.idempotency.page_post_once).
    Never an error on the form: a missing or odd token only means the post is not guarded."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("initial", new_submit_token)  # a callable: a new token for each form
        super().__init__(**kwargs)


def new_submit_token() -> str:
    """A new one-time token for a page form, for a page that writes its hidden input itself."""
    return secrets.token_urlsafe(16)


def model_choices(field: forms.ModelChoiceField, objects: Iterable[Model]) -> None:
    """Have a model choice field's widget list rows already read, as the field itself would list them.

    Rendering a ModelChoiceField reads its queryset with `.iterator()`: on PostgreSQL a server-side cursor, three
    round trips (DECLARE, FETCH, CLOSE) per select on every page, and no sharing of rows between forms. Only what
    is shown changes: the field still validates what is sent against its own queryset."""
    empty = [("", field.empty_label)] if field.empty_label is not None else []
    field.widget.choices = [*empty, *((field.prepare_value(obj), field.label_from_instance(obj)) for obj in objects)]


def domain_error_names_a_field(form: forms.Form, error: DomainError) -> bool:
    """Whether a service's refusal names a field the form shows, where form_add_domain_error puts it."""
    return any(DETAIL_FIELD_ALIASES.get(name, name) in form.fields for name in error.details)


def form_add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show a service's refusal next to the fields it names, or above the form when it names none we show."""
    for name, messages in error.details.items():
        field = DETAIL_FIELD_ALIASES.get(name, name)
        form.add_error(field if field in form.fields else None, messages)
    if not error.details:
        form.add_error(None, error.message)


# --- Selects that send only what the agent changed -----------------------------------------------------------------

UNCHANGED = "unchanged"


class ShownValueSelect(forms.Select):
    """A select whose option for the value the page shows is sent as UNCHANGED.

    It writes its markup in Python (render) where Django's renders a template, which includes a template per
    option; the staff ticket page has five of these selects, and their templates were a large part of its render.
    The markup is the same, held by tests/helpdesk/test_shown_value_select.py.

    When a page is revisited (Back, a reload), browsers put back each select's earlier choice by option value, onto a
    page that may have been rendered from newer data, while hidden inputs (such as a version token) come back fresh.
    An agent could then save a form whose other selects silently hold an older page's values. With the shown value
    sent as UNCHANGED, a select put back from an older page picks this page's UNCHANGED option again, showing and
    sending the current value; only a select the agent actually changed sends a value.
    """

    shown: str | None = None  # set by KeepsShownValue.show(); None: no option stands for "as shown"

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: BaseRenderer | None = None
    ) -> SafeString:
        """What django/forms/widgets/select.html (with its option and attrs templates) writes."""
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{conditional_escape(widget["name"])}"{_html_attributes(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            for option in options:
                selected = " selected" if option["selected"] else ""
                parts.append(
                    f'\n  <option value="{conditional_escape(str(option["value"]))}"{selected}>'
                    f"{conditional_escape(option['label'])}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value is escaped above

    def format_value(self, value: Any) -> list[str]:
        values = super().format_value(value)
        return [self.shown if item == UNCHANGED and self.shown is not None else item for item in values]

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        if self.shown is not None and str(value) == self.shown:
            option["value"] = UNCHANGED
        return option


def _html_attributes(attrs: dict[str, Any]) -> str:
    """What django/forms/widgets/attrs.html writes: True as a bare name, False left out, the rest as strings."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


class KeepsShownValue:
    """A choice field read through ShownValueSelect: UNCHANGED cleans to the value shown, and is no change at all."""

    widget = ShownValueSelect

    def show(self, value: Any) -> None:
        self.widget.shown = "" if value is None else str(value)  # type: ignore[attr-defined]

    def clean(self, value: Any) -> Any:
        if value == UNCHANGED:
            value = self.widget.shown  # type: ignore[attr-defined]
        return super().clean(value)  # type: ignore[misc]

    def has_changed(self, initial: Any, data: Any) -> bool:
        return data != UNCHANGED and super().has_changed(initial, data)  # type: ignore[misc]


class ShownChoiceField(KeepsShownValue, forms.ChoiceField):
    pass


class ShownTypedChoiceField(KeepsShownValue, forms.TypedChoiceField):
    pass


class ChoicesInOneQuery(ModelChoiceIterator):
    """The choices of a model select read with one query. Django's iterator streams them through a server-side
    cursor on PostgreSQL (DECLARE, FETCH, CLOSE: several round trips) to spare memory on a long list; the selects
    on a page are short, and round trips are what a page waits for."""

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


class ShownModelChoiceField(KeepsShownValue, forms.ModelChoiceField):
    iterator = ChoicesInOneQuery


def show_initial_values(form: forms.BaseForm) -> None:
    """Tell each KeepsShownValue field which value the page shows: the form's initial one. Call after __init__."""
    for name, field in form.fields.items():
        if isinstance(field, KeepsShownValue):
            field.show(form.get_initial_for_field(field, name))
