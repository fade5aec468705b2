from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import User
from notifications.models import NotificationKind
from notifications.preferences import DEFAULTS, kinds_for, preferences_of


class PreferencesForm(forms.Form):
    """One checkbox per kind of mail the user may get; unchecked turns that kind off."""

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = preferences_of(user)
        for kind in kinds_for(user):
            default = "on" if DEFAULTS[kind] else "off"
            self.fields[kind] = forms.BooleanField(
                label=NotificationKind(kind).label,
                required=False,
                initial=current[kind],
                help_text=f"Default: {default}.",
            )
