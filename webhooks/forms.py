"""The endpoint form, for the admin and the Webhooks page alike: the URL is checked for SSRF as it is entered."""

from __future__ import annotations

from typing import Any

from django import forms

from events.models import EventKind
from webhooks import ssrf
from webhooks.models import WebhookEndpoint


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label="URL", max_length=2000, assume_scheme="https")
    event_kinds = forms.MultipleChoiceField(
        choices=EventKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Event kinds",
        help_text="None ticked: every kind, including kinds added later.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "event_kinds", "include_internal", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if self.instance.pk and url == self.instance.url:
            return url  # unchanged: checked when it was saved, and again before every delivery
        problem = ssrf.url_problem(url)
        if problem:
            raise forms.ValidationError(problem)
        return url
