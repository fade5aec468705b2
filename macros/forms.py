from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import User
from helpdesk.forms import SubmitTokenField
from macros.models import Macro
from macros.services import EDITABLE_FIELDS


class MacroForm(forms.ModelForm):
    # "Create macro" clicked twice creates one macro (helpdesk.idempotency.page_post_once).
    submit_token = SubmitTokenField()

    class Meta:
        model = Macro
        fields = EDITABLE_FIELDS
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}
        labels = {
            "visibility": "Who may use it",
            "shared_team": "Team",
            "set_status": "Set status",
            "set_priority": "Set priority",
            "add_tags": "Add tags",
            "set_assignee": "Assign to",
            "set_team": "Move to team",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["set_assignee"].queryset = User.objects.staff()
        self.fields["set_status"].choices = [("", "Leave as is"), *self.fields["set_status"].choices[1:]]
        self.fields["set_priority"].choices = [("", "Leave as is"), *self.fields["set_priority"].choices[1:]]
        self.fields["set_assignee"].empty_label = "Leave as is"
        self.fields["set_team"].empty_label = "Leave as is"
        self.fields["shared_team"].empty_label = "—"


class MacroSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search macros")
