from __future__ import annotations

from django import forms

from csat.models import Rating
from helpdesk.forms import MessageTextarea, PageForm


class RatingForm(PageForm):
    rating = forms.ChoiceField(choices=Rating.choices, widget=forms.RadioSelect, label="How did we do?")
    comment = forms.CharField(
        required=False, widget=MessageTextarea(attrs={"rows": 3}), max_length=2000, label="Anything to add? (optional)"
    )
