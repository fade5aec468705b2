"""`{% page_field field %}`: one form field as every page shows it: label, help text, errors, input.

A file input on a page that comes back with its form (a refused post) is empty: no browser lets a page put files
back in it. The files that were chosen are named below it, so the next Send does not go without them unnoticed.

Django links the input to its help text and errors with aria-describedby (ids "<id>_helptext" and "<id>_error"), so
screen readers announce them; the error list is written only when there are errors. A checkbox comes before its
label; radio buttons and checkbox lists sit in a fieldset whose legend is the label.

Written in Python rather than as an included template: pages show a dozen fields or more on every view (the staff
ticket page and the queue), and the include's lookups and branches were a large part of rendering them once the
widgets themselves were written in Python (helpdesk.form_renderer).
"""

from __future__ import annotations

from django import forms, template
from django.forms import BoundField
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from helpdesk.form_renderer import plain_select

register = template.Library()


def _widget(field: BoundField) -> str:
    written = plain_select(field)
    return str(field) if written is None else written


def _help(field: BoundField) -> str:
    if not field.help_text:
        return ""
    element_id = conditional_escape(field.auto_id)
    return f'<p class="helptext" id="{element_id}_helptext">{conditional_escape(field.help_text)}</p>'


def _files_not_kept(field: BoundField) -> str:
    if not isinstance(field.field.widget, forms.FileInput) or not field.form.is_bound:
        return ""
    chosen = field.data if isinstance(field.data, list | tuple) else [field.data] if field.data else []
    names = ", ".join(f"“{upload.name}”" for upload in chosen if getattr(upload, "name", None))
    if not names:
        return ""
    return f'<p class="files-not-kept">Not attached yet: {conditional_escape(names)}. Choose the files again.</p>'


@register.simple_tag
def page_field(field: BoundField) -> SafeString:
    errors = field.errors
    shown_errors = str(errors) if errors else ""
    checkbox = isinstance(field.field.widget, forms.CheckboxInput)  # its subclasses too, whatever their name
    css = "field" + (" field-invalid" if errors else "") + (" field-checkbox" if checkbox else "")
    if field.use_fieldset:
        described = field.aria_describedby
        described_by = f' aria-describedby="{conditional_escape(described)}"' if described else ""
        inside = (
            f"\n    <fieldset{described_by}>\n      <legend>{conditional_escape(field.label)}</legend>\n"
            f"      {_help(field)}\n      {shown_errors}\n      {_widget(field)}\n    </fieldset>\n  "
        )
    elif checkbox:
        inside = f"\n    {_widget(field)} {field.label_tag()}\n    {_help(field)}\n    {shown_errors}\n  "
    else:
        inside = (
            f"\n    {field.label_tag()}\n    {_help(field)}\n    {shown_errors}\n    {_widget(field)}"
            f"{_files_not_kept(field)}\n  "
        )
    # Every part is escaped above, or is HTML Django's form rendering wrote (and escaped).
    return mark_safe(f'\n<div class="{css}">\n  {inside}\n</div>\n')  # noqa: S308
