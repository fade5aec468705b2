"""`{% page_field %}` writes each field as the pages show it: label, help text (linked by aria-describedby), errors
only when there are some, a checkbox before its label, choices in a fieldset; every text escaped."""

from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.utils.datastructures import MultiValueDict

from helpdesk.forms import MultipleFileField, PageForm
from helpdesk.templatetags.page_fields import page_field

HOSTILE = "<b>\"Tom\" & 'Jerry'</b>"
ESCAPED = "&lt;b&gt;&quot;Tom&quot; &amp; &#x27;Jerry&#x27;&lt;/b&gt;"


class Shapes(PageForm):
    plain = forms.CharField(label=HOSTILE, help_text=HOSTILE)
    quiet = forms.CharField(required=False)
    agree = forms.BooleanField(label="I agree")
    mode = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect, help_text="Pick one")


def compact(html: str) -> str:
    return " ".join(html.split())


def test_a_field_has_its_label_help_and_input_and_no_empty_error_list():
    html = compact(page_field(Shapes()["quiet"]))

    assert html.startswith('<div class="field"> <label for="id_quiet">Quiet</label>')
    assert '<input type="text" name="quiet" id="id_quiet">' in html
    assert "helptext" not in html and "errorlist" not in html


def test_help_text_is_linked_to_the_input_and_every_text_is_escaped():
    html = compact(page_field(Shapes()["plain"]))

    assert f'<p class="helptext" id="id_plain_helptext">{ESCAPED}</p>' in html
    assert f'<label for="id_plain">{ESCAPED}</label>' in html
    assert 'aria-describedby="id_plain_helptext"' in html
    assert HOSTILE not in html


def test_errors_mark_the_field_and_are_listed():
    html = compact(page_field(Shapes({})["plain"]))

    assert html.startswith('<div class="field field-invalid">')
    assert 'id="id_plain_error"' in html and "This field is required." in html


class WithFiles(PageForm):
    files = MultipleFileField()


def test_files_chosen_for_a_form_that_comes_back_are_named_to_choose_again_escaped():
    hostile = SimpleUploadedFile("<img src=x onerror=alert(1)>.png", b"x")  # a name holds no "/" (Django cuts there)
    chosen = MultiValueDict({"files": [hostile, SimpleUploadedFile("b.pdf", b"y")]})

    html = compact(page_field(WithFiles({}, chosen)["files"]))

    escaped = "&lt;img src=x onerror=alert(1)&gt;.png"
    assert f"Not attached yet: “{escaped}”, “b.pdf”. Choose the files again." in html
    assert "Not attached yet" not in page_field(WithFiles()["files"])
    assert "Not attached yet" not in page_field(WithFiles({})["files"])


def test_a_checkbox_comes_before_its_label():
    html = compact(page_field(Shapes()["agree"]))

    assert html.startswith('<div class="field field-checkbox"> <input type="checkbox" name="agree"')
    assert html.index('type="checkbox"') < html.index('<label for="id_agree">I agree</label>')


def test_choices_sit_in_a_fieldset_whose_legend_is_the_label():
    html = compact(page_field(Shapes()["mode"]))

    assert '<fieldset aria-describedby="id_mode_helptext"> <legend>Mode</legend>' in html
    assert '<p class="helptext" id="id_mode_helptext">Pick one</p>' in html
    assert html.count('type="radio"') == 2


def test_the_tag_in_a_template_writes_the_same():
    field = Shapes()["plain"]

    rendered = Template("{% load page_fields %}{% page_field field %}").render(Context({"field": field}))

    assert rendered == page_field(field)
