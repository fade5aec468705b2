"""Forms of the accounts app: users and social apps in the admin, the People, API tokens and Time zone pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from allauth.account.adapter import get_adapter
from allauth.account.forms import (
    BaseConfirmCodeForm,
    ConfirmEmailVerificationCodeForm,
    ResetPasswordForm,
    ResetPasswordKeyForm,
    SignupForm,
)
from allauth.socialaccount.models import SocialApp
from django import forms
from django.conf import settings as django_settings
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    BaseUserCreationForm,
    ReadOnlyPasswordHashField,
)
from django.db.models import Q

from accounts.models import Role, SocialAppSecret, TokenScope, User, normalize_email_address
from accounts.selectors import accounts_owning_address, address_has_an_account
from accounts.services import user_password_reset, user_update
from helpdesk.forms import KeepsShownValue, PageForm, ShownChoiceField, show_initial_values
from helpdesk.time_zones import TimeZoneField


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
    """Email, name, role, time zone and a password typed twice. Staff status follows from the role, so it is not
    asked."""

    time_zone = TimeZoneField(help_text=User._meta.get_field("time_zone").help_text)

    class Meta:
        model = User
        fields = ("email", "name", "role", "time_zone")

    def clean_email(self) -> str:
        return _clean_unique_email(self)


class ShownTimeZoneField(KeepsShownValue, TimeZoneField):
    """The zone list, sending "unchanged" for the zone the page showed (helpdesk.forms.ShownValueSelect)."""

    def show(self, value: Any) -> None:
        self.offer_stored(value or "")  # a zone the tz database has since dropped is shown too, so "unchanged" keeps it
        super().show(value)


class AdminUserChangeForm(forms.ModelForm):
    password = ReadOnlyPasswordHashField(
        label="Password",
        help_text="Raw passwords are not stored, so there is no way to see the user's password.",
    )
    # The user may change their own zone while an admin has this form open: left alone, the list sends "unchanged"
    # rather than the zone it showed, so the save (accounts.admin.UserAdmin.save_model) keeps the user's new one.
    time_zone = ShownTimeZoneField(help_text=User._meta.get_field("time_zone").help_text)

    class Meta:
        model = User
        fields = ("email", "name", "role", "is_active", "time_zone")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        show_initial_values(self)

    def clean_email(self) -> str:
        return _clean_unique_email(self)

    def _get_validation_exclusions(self) -> set[str]:
        # A zone left as shown is not saved (UserAdmin.save_model), so the model's check of the name is skipped: the
        # stored one may be a zone the tz database has since dropped, which must not block the rest of the save.
        exclusions = super()._get_validation_exclusions()
        if "time_zone" not in self.changed_data:
            exclusions.add("time_zone")
        return exclusions


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


class SignUpForm(SignupForm):
    """allauth's sign-up form, where an address another account has only asked to change to (unconfirmed) does not
    count as taken: otherwise anyone could keep the address's owner from ever signing up, by typing it on their own
    Email page."""

    def validate_unique_email(self, value: str) -> str:
        email = super().validate_unique_email(value)
        if self.account_already_exists and not address_has_an_account(email):
            self.account_already_exists = False
        return email


class EmailCodeConfirmForm(ConfirmEmailVerificationCodeForm):
    """allauth's form for the code of a confirmation mail, without allauth's check that no other account has the
    address: it refuses a right code for an address another account only signed up with, unproven, which the
    mailbox's owner is meant to take from it. Whether the address may be this account's is decided as the code
    confirms it (AccountAdapter.confirm_email, services.email_address_claim), by the rules every proof follows."""

    def clean_code(self) -> str:
        code = BaseConfirmCodeForm.clean_code(self)
        if self.user is None:
            # A code page allauth shows so as not to tell that the address has an account: its mail had no code.
            raise get_adapter().validation_error("email_taken")
        return code


class PasswordResetRequestForm(ResetPasswordForm):
    """allauth's "forgot your password" form, mailing reset links only for accounts whose address it is."""

    def clean_email(self) -> str:
        email = super().clean_email()
        self.users = accounts_owning_address(self.users, email)
        return email


class PasswordResetFromMailForm(ResetPasswordKeyForm):
    """allauth's form for a new password set from a mailed link, saving through a service that knows the link has
    proven the address."""

    def save(self) -> None:
        user_password_reset(user=self.user, password=self.cleaned_data["password1"])


GITHUB = "github"
GITLAB = "gitlab"
ENVIRONMENT_CLIENT_ID = {GITHUB: "GITHUB_CLIENT_ID", GITLAB: "GITLAB_CLIENT_ID"}


class SocialAppAdminForm(forms.ModelForm):
    """A GitHub or GitLab OAuth application. The client secret is never shown back; SocialAppAdmin stores it
    encrypted through accounts.services.social_app_secret_set. The extra settings go into `SocialApp.settings`,
    the keys allauth itself reads (`gitlab_url`, `verified_email`).
    """

    provider = forms.ChoiceField(choices=[(GITHUB, "GitHub"), (GITLAB, "GitLab")])
    client_secret = forms.CharField(
        label="Client secret",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Stored encrypted, and never shown again.",
    )
    base_url = forms.URLField(
        label="GitLab base URL",
        required=False,
        assume_scheme="https",
        help_text="Only for a self-hosted GitLab, e.g. https://gitlab.example.com. Empty means the GITLAB_URL "
        "environment variable (by default https://gitlab.com). GitHub Enterprise is set with the GITHUB_URL "
        "environment variable only: allauth reads it once, when the server starts.",
    )
    trust_emails = forms.BooleanField(
        label="Trust email addresses from this provider",
        required=False,
        help_text="Only for a provider whose users cannot put an address they do not own on their profile, such as "
        "a company GitLab. When ticked, whoever signs in is believed to own the address the provider reports, "
        "with no confirmation mail: on an open GitLab anyone could claim a colleague's address and act in the "
        "helpdesk as them. Left unticked, new addresses are confirmed by mail first (GitHub's own verified flag "
        "is always respected).",
    )

    class Meta:
        model = SocialApp
        fields = ("provider", "name", "client_id")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        app_settings = self.instance.settings or {}
        self.fields["base_url"].initial = app_settings.get("gitlab_url", "")
        self.fields["trust_emails"].initial = app_settings.get("verified_email") is True
        if self._has_secret():
            self.fields["client_secret"].help_text = "Leave empty to keep the current secret. " + (
                self.fields["client_secret"].help_text
            )

    def clean_base_url(self) -> str:
        url = self.cleaned_data["base_url"].rstrip("/")  # allauth appends paths that start with "/"
        if not url:
            return url
        parts = urlsplit(url)
        if parts.scheme != "https":
            raise forms.ValidationError("Use an https:// address: the client secret is sent to it.")
        if parts.query or parts.fragment:
            raise forms.ValidationError("Give the base address only, without ?query or #fragment.")
        return url

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        provider = cleaned.get("provider")
        if provider is None:
            return cleaned
        # With two apps for one provider allauth cannot tell which to use, and every sign-in with it fails
        # (accounts.adapters.SocialAccountAdapter.get_app). allauth finds a provider's apps by `provider` or
        # `provider_id`, in the settings under "APPS" or "APP".
        from_environment = django_settings.SOCIALACCOUNT_PROVIDERS.get(provider, {})
        if from_environment.get("APPS") or from_environment.get("APP"):
            self.add_error(
                "provider",
                f"This provider is configured from the environment ({ENVIRONMENT_CLIENT_ID[provider]}); "
                "remove it there before configuring it here.",
            )
        elif (
            SocialApp.objects.filter(Q(provider=provider) | Q(provider_id=provider))
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self.add_error("provider", "An application for this provider already exists: change that one instead.")
        if provider == GITHUB and cleaned.get("base_url"):
            self.add_error("base_url", "GitHub Enterprise is set with the GITHUB_URL environment variable.")
        if not cleaned.get("client_secret") and not self._has_secret():
            self.add_error("client_secret", forms.ValidationError("This field is required.", code="required"))
        if not self.errors:
            self.instance.settings = self._app_settings(cleaned)
        return cleaned

    def _app_settings(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        """The app's settings with ours replaced; keys set elsewhere (e.g. in a shell) are kept."""
        app_settings = {
            key: value
            for key, value in (self.instance.settings or {}).items()
            if key not in {"gitlab_url", "verified_email"}
        }
        if cleaned["provider"] == GITLAB and cleaned["base_url"]:
            app_settings["gitlab_url"] = cleaned["base_url"]
        app_settings["verified_email"] = cleaned["trust_emails"]
        return app_settings

    def _has_secret(self) -> bool:
        """An app being changed that already has a secret: stored encrypted, or left in clear by an older admin."""
        if self.instance.pk is None:
            return False
        return bool(self.instance.secret) or SocialAppSecret.objects.filter(app=self.instance).exists()


class PersonRoleForm(forms.Form):
    """The role select of each row on the People page. It sends `unchanged` for the role the page shows
    (helpdesk.forms.ShownValueSelect), so a row the browser restored from an older visit cannot revert a role."""

    role = ShownChoiceField(choices=Role.choices)

    def __init__(self, *args: Any, person: User, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"role": person.role})
        super().__init__(*args, auto_id=f"role-{person.pk}-%s", **kwargs)
        show_initial_values(self)


NEVER = "never"
DEFAULT_LIFETIME = "90"


class TimeZoneForm(PageForm):
    time_zone = TimeZoneField(label="Time zone", help_text="Pages and the mails you get show times in this zone.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].offer_stored(self.initial.get("time_zone", ""))


class ApiTokenCreateForm(PageForm):
    name = forms.CharField(
        max_length=100, help_text="What the token is for, such as “Backup script” or “Laptop”, so you know it later."
    )
    allow_write = forms.BooleanField(
        label="Allow changes (write)",
        required=False,
        help_text="Reading is always allowed. Without this, the token cannot create or change anything.",
    )
    expires = forms.ChoiceField(
        label="Expires",
        choices=[("30", "In 30 days"), ("90", "In 90 days"), ("365", "In 1 year"), (NEVER, "Never")],
        initial=DEFAULT_LIFETIME,
    )

    def scopes(self) -> list[str]:
        return [TokenScope.READ, TokenScope.WRITE] if self.cleaned_data["allow_write"] else [TokenScope.READ]

    def lifetime_days(self) -> int | None:
        choice = self.cleaned_data["expires"]
        return None if choice == NEVER else int(choice)
