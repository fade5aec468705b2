"""The staff reply box's widgets written in Python (helpdesk.form_renderer) are what Django's templates
write, byte for byte: the mode's radio buttons, the text (escaped) and the file input, shown fresh, filled in from a
macro, and shown again with errors."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from helpdesk.form_renderer import python_widget_renderer
from helpdesk.templatetags.page_fields import page_field
from tickets.forms import ReplyMode, StaffReplyForm

HOSTILE = "<b>\"Tom\" & 'Jerry'</b>\n</textarea><script>alert(1)</script>"


def renderings(form: forms.Form) -> list[str]:
    pieces = []
    for field in form:
        pieces += [str(field), field.label_tag(), str(field.errors), page_field(field)]
    for radio in form["mode"]:
        pieces += [radio.tag(), radio.tag(wrap_label=True), str(radio)]
    return pieces


@pytest.mark.parametrize(
    "arguments",
    [
        {"initial": {"mode": ReplyMode.REPLY, "seen_comment": 12}},
        {"initial": {"mode": ReplyMode.NOTE, "body": HOSTILE, "macro": 3}},
        {"data": {"body": HOSTILE, "then_status": "nonsense", "seen_comment": "x"}},
        {"data": {"mode": ReplyMode.NOTE, "body": HOSTILE, "then_status": "pending"}},
        {"data": {}},
    ],
    ids=["fresh", "from a macro", "with errors", "valid", "empty post"],
)
def test_the_reply_box_is_written_as_djangos_templates_write_it(arguments):
    python_form = StaffReplyForm(**arguments)
    django_form = StaffReplyForm(**arguments, renderer=DjangoTemplates())
    assert python_form.errors == django_form.errors
    assert python_form.renderer is python_widget_renderer
    assert renderings(python_form) == renderings(django_form)


def test_the_text_is_escaped(db):
    written = str(StaffReplyForm(initial={"body": HOSTILE})["body"])

    assert "<script>" not in written
    assert "&lt;/textarea&gt;&lt;script&gt;" in written
