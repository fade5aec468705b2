"""Form pieces every app's pages use: labels without colons, several files from one input, service errors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

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
