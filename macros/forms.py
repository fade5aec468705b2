from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import User
from accounts.permissions import why_cannot_be_assigned
from helpdesk.forms import MessageTextarea, SubmitTokenField
from macros.models import Macro
from macros.services import EDITABLE_FIELDS


class StoredAssigneeForm(forms.ModelForm):
    """For a macro whose agent was deactivated or made a requester since it was written. The select offers active
    agents only, so it would show "Leave as is" instead and a save (even of the name alone) would drop the agent
    unnoticed. The stored agent stays selected instead, and a save is refused with who and why until another agent
    or no one is chosen: the admin decides, nothing is cleared for them. The page and the admin behave alike."""

    def keep_stored_assignee(self) -> None:
        field = self.fields.get("set_assignee")
        stored = self.instance.set_assignee if self.instance.set_assignee_id else None
        if field is None or stored is None:
            return
        # Let through to clean_set_assignee, so the page says who and why, once, rather than "Select a valid choice".
        field.queryset = field.queryset | User.objects.filter(pk=stored.pk)
        if not self.is_bound and (problem := why_cannot_be_assigned(stored)):
            field.help_text = f"{problem} Choose another agent, or no one."

    def clean_set_assignee(self) -> User | None:
        # macro_save would refuse them after the form passed; here the refusal is next to the field, and the model's
        # own check of the field is then skipped, so there is one message.
        assignee = self.cleaned_data.get("set_assignee")
        if assignee is not None and (problem := why_cannot_be_assigned(assignee)):
            raise forms.ValidationError(problem)
        return assignee


class MacroForm(StoredAssigneeForm):
    # "Create macro" clicked twice creates one macro (helpdesk.idempotency.page_post_once).
    submit_token = SubmitTokenField()

    class Meta:
        model = Macro
        fields = EDITABLE_FIELDS
        widgets = {"body": MessageTextarea(attrs={"rows": 8})}
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
        self.keep_stored_assignee()


class MacroSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search macros")
