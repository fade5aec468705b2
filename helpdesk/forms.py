"""Form pieces every app's pages use: labels without colons, several files from one input, service errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.forms.models import ModelChoiceIterator

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


class PageForm(forms.Form):
    """Labels without a trailing colon. Django 5.2 ties errors and help text to inputs with aria-describedby."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


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

    Its template writes each option out in the loop where Django's includes a template per option (and another
    for its attributes, which for a select's option are only `selected`); the staff ticket page has five of these
    selects, and those includes were a large part of its render. The markup is the same.

    When a page is revisited (Back, a reload), browsers put back each select's earlier choice by option value, onto a
    page that may have been rendered from newer data, while hidden inputs (such as a version token) come back fresh.
    An agent could then save a form whose other selects silently hold an older page's values. With the shown value
    sent as UNCHANGED, a select put back from an older page picks this page's UNCHANGED option again, showing and
    sending the current value; only a select the agent actually changed sends a value.
    """

    template_name = "helpdesk/widgets/shown_value_select.html"
    shown: str | None = None  # set by KeepsShownValue.show(); None: no option stands for "as shown"

    def format_value(self, value: Any) -> list[str]:
        values = super().format_value(value)
        return [self.shown if item == UNCHANGED and self.shown is not None else item for item in values]

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        if self.shown is not None and str(value) == self.shown:
            option["value"] = UNCHANGED
        return option


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
