"""Forms for managing users in the Django admin. They validate; accounts.services does the saving."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    BaseUserCreationForm,
    ReadOnlyPasswordHashField,
)

from accounts.models import User, normalize_email_address
from accounts.services import user_update


def _clean_unique_email(form: forms.ModelForm) -> str:
    """Lower-case the address before the uniqueness check, so `Ann@x.org` and `ann@x.org` collide."""
    email = normalize_email_address(form.cleaned_data["email"])
    others = User.objects.filter(email=email)
    if form.instance.pk is not None:
        others = others.exclude(pk=form.instance.pk)
    if others.exists():
        raise forms.ValidationError("A user with this email address already exists.", code="unique")
    return email


class AdminUserCreationForm(BaseUserCreationForm):
    """Email, name, role and a password typed twice. Staff status follows from the role, so it is not asked."""

    class Meta:
        model = User
        fields = ("email", "name", "role")

    def clean_email(self) -> str:
        return _clean_unique_email(self)


class AdminUserChangeForm(forms.ModelForm):
    password = ReadOnlyPasswordHashField(
        label="Password",
        help_text="Raw passwords are not stored, so there is no way to see the user's password.",
    )

    class Meta:
        model = User
        fields = ("email", "name", "role", "is_active")

    def clean_email(self) -> str:
        return _clean_unique_email(self)


class AdminSetPasswordForm(AdminPasswordChangeForm):
    """The admin's "Reset password" page, saving through `user_update`.

    The "disable password-based authentication" choice is dropped: every user signs in with a password.
    """

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.fields.pop("usable_password", None)
        self.fields["password1"].required = True
        self.fields["password2"].required = True

    def save(self, commit: bool = True) -> User:
        return user_update(user=self.user, password=self.cleaned_data["password1"])
