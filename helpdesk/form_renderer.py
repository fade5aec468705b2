"""A form renderer that writes the plain widgets in Python, the same bytes Django's own templates write.

Django renders every widget, option, label and (empty) error list through a template include: a select of 20
options is some 60 template renders. On the staff queue, whose filter, bulk-action and save-view forms list agents,
teams and categories on every page, that was a large share of the page's time. `PythonWidgetRenderer` writes the
templates named in `PYTHON_TEMPLATES` directly and hands every other template (and anything unusual, such as option
groups or non-empty error lists) to Django's. tests/helpdesk/test_form_renderer.py holds both outputs equal, byte
for byte, for every field of the forms that use it.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.forms import BoundField
from django.forms.renderers import DjangoTemplates
from django.http import HttpRequest
from django.utils.html import conditional_escape


def _text(value: Any) -> str:
    """`{{ value }}`: escaped unless already safe. Plain text goes straight to html.escape, what Django's escape does
    without the lazy-text wrapper around it (most of the cost of the queue's 500 escapes a page)."""
    if type(value) is str:
        return html.escape(value)
    return str(conditional_escape(value))


def _formatted(value: Any) -> str:
    """`{{ value|stringformat:'s' }}`: the result of stringformat is never safe, so always escaped."""
    return html.escape(str(value))


def _attrs(attrs: Mapping[str, Any]) -> str:
    """django/forms/widgets/attrs.html"""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {_text(name)}" if value is True else f' {_text(name)}="{_formatted(value)}"')
    return "".join(parts)


def _input(widget: Mapping[str, Any]) -> str:
    """django/forms/widgets/input.html"""
    value = "" if widget["value"] is None else f' value="{_formatted(widget["value"])}"'
    return f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{value}{_attrs(widget["attrs"])}>\n'


def _input_family(context: Mapping[str, Any]) -> str:
    """text.html, number.html, checkbox.html…: each includes input.html and ends with a newline of its own."""
    return _input(context["widget"]) + "\n"


def _ungrouped_options(widget: Mapping[str, Any], template_name: str) -> list[dict[str, Any]] | None:
    """The widget's options when none is in a group and each uses `template_name`; None otherwise (Django's
    templates then render the widget)."""
    options = []
    for group_name, group_options, _ in widget["optgroups"]:
        if group_name:
            return None
        for option in group_options:
            if option["template_name"] != template_name:
                return None
            options.append(option)
    return options


def _select(context: Mapping[str, Any]) -> str | None:
    """django/forms/widgets/select.html with select_option.html; None (Django's templates) for option groups."""
    widget = context["widget"]
    plain = _ungrouped_options(widget, "django/forms/widgets/select_option.html")
    if plain is None:
        return None
    options = [
        f'\n  <option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
        f"{_text(option['label'])}</option>\n"
        for option in plain
    ]
    return f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>{"".join(options)}\n</select>\n'


def _checkbox_select(context: Mapping[str, Any]) -> str | None:
    """checkbox_select.html: multiple_input.html with checkbox_option.html (input_option.html); None for groups."""
    widget = context["widget"]
    element_id, css_class = widget["attrs"].get("id"), widget["attrs"].get("class")
    head = "<div" + (f' id="{_text(element_id)}"' if element_id else "")
    head += (f' class="{_text(css_class)}"' if css_class else "") + ">"
    plain = _ungrouped_options(widget, "django/forms/widgets/checkbox_option.html")
    if plain is None:
        return None
    options = []
    for option in plain:
        control = _input(option)
        if option["wrap_label"]:
            target = option["attrs"].get("id")
            label_for = f' for="{_text(target)}"' if target else ""
            control = f"<label{label_for}>{control} {_text(option['label'])}</label>"
        options.append(f"<div>\n    {control}\n\n</div>")
    return f"{head}{''.join(options)}\n</div>\n\n"


def _label(context: Mapping[str, Any]) -> str:
    """django/forms/label.html"""
    if not context["use_tag"]:
        return _text(context["label"]) + "\n"
    tag = _text(context["tag"])
    return f"<{tag}{_attrs(context['attrs'] or {})}>{_text(context['label'])}</{tag}>\n"


def _errors(context: Mapping[str, Any]) -> str | None:
    """django/forms/errors/list/default.html when there are none; errors themselves go through the template."""
    return None if context["errors"] else "\n"


def _input_option(context: Mapping[str, Any]) -> str:
    """django/forms/widgets/radio_option.html (input_option.html): one radio button, as `{{ radio.tag }}` writes it."""
    option = context["widget"]
    if not option["wrap_label"]:
        return _input(option) + "\n"
    target = option["attrs"].get("id")
    label_for = f' for="{_text(target)}"' if target else ""
    return f"<label{label_for}>{_input(option)} {_text(option['label'])}</label>\n"


def _textarea(context: Mapping[str, Any]) -> str:
    """django/forms/widgets/textarea.html"""
    widget = context["widget"]
    value = _text(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>\n'


PYTHON_TEMPLATES: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    **{
        f"django/forms/widgets/{name}.html": _input_family
        for name in (
            "text",
            "number",
            "email",
            "url",
            "password",
            "hidden",
            "checkbox",
            "date",
            "datetime",
            "time",
            "file",
        )
    },
    "django/forms/widgets/radio_option.html": _input_option,
    "django/forms/widgets/textarea.html": _textarea,
    "django/forms/widgets/select.html": _select,
    "django/forms/widgets/checkbox_select.html": _checkbox_select,
    "django/forms/label.html": _label,
    "django/forms/errors/list/default.html": _errors,
}


def plain_select(field: BoundField) -> str | None:
    """`str(field)` for a plain select (forms.Select itself, no option groups) of a form whose widgets are written
    in Python (helpdesk.form_renderer): the same bytes, written straight from the choices. Django first builds a dict
    of attributes for every option (ChoiceWidget.optgroups), which was most of the cost of the queue's selects of
    agents, teams and categories. None for any other field: it renders as it always does."""
    widget = field.field.widget
    if type(widget) is not forms.Select or not isinstance(field.form.renderer, PythonWidgetRenderer):
        return None
    values = widget.format_value(field.value())
    options, has_selected = [], False
    for value, label in widget.choices:
        if isinstance(label, list | tuple):
            return None
        value = "" if value is None else value
        selected = not has_selected and str(value) in values
        has_selected |= selected
        options.append(
            f'\n  <option value="{_formatted(value)}"{" selected" if selected else ""}>{_text(label)}</option>\n'
        )
    # BoundField.as_widget's attributes (required, aria-*, the id), then the widget's own.
    attrs = field.build_widget_attrs({}, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    attrs = widget.build_attrs(widget.attrs, attrs)
    return f'<select name="{_text(field.html_name)}"{_attrs(attrs)}>{"".join(options)}\n</select>'


class PythonWidgetRenderer(DjangoTemplates):
    """Django's default form renderer, with the templates of PYTHON_TEMPLATES written in Python."""

    def render(self, template_name: str, context: dict[str, Any], request: HttpRequest | None = None) -> str:
        write = PYTHON_TEMPLATES.get(template_name)
        written = write(context) if write is not None else None
        # Django strips what a template renders, as BaseRenderer.render does.
        return written.strip() if written is not None else super().render(template_name, context, request)


# One instance for every form that uses it: a renderer builds its template engine on first use.
python_widget_renderer = PythonWidgetRenderer()
