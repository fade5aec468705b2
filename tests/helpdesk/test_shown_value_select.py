"""ShownValueSelect writes the markup Django's select template does, option for option."""

from __future__ import annotations

import pytest
from django import forms

from helpdesk.forms import UNCHANGED, ShownValueSelect

CHOICES = [
    ("", "Unassigned"),
    (1, "Bob <Agent> & co"),
    (2, 'Carol "Admin"'),
    ("Archived", [(3, "Dave"), (4, "Eve")]),
]


@pytest.mark.parametrize("value", [None, "", 1, "2", 4])
@pytest.mark.parametrize(
    "attrs",
    [
        None,
        {"id": "id_assignee", "aria-describedby": "id_assignee_helptext"},
        {"required": True, "disabled": False, "data-note": 'a "quoted" <value> & more', "data-count": 3},
    ],
)
def test_shown_value_select_renders_what_django_select_renders(value, attrs) -> None:
    ours = ShownValueSelect(choices=CHOICES).render("assignee", value, attrs=attrs)
    django = forms.Select(choices=CHOICES).render("assignee", value, attrs=attrs)

    assert ours == django


def test_the_shown_option_is_sent_as_unchanged() -> None:
    select = ShownValueSelect(choices=CHOICES)
    select.shown = "2"

    html = select.render("assignee", UNCHANGED)

    assert f'<option value="{UNCHANGED}" selected>Carol &quot;Admin&quot;</option>' in html
    assert '<option value="1">Bob &lt;Agent&gt; &amp; co</option>' in html
