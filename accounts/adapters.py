"""How allauth fits this helpdesk: who may sign up, what a new user is, where client secrets come from, and what
follows a change of address."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.stagekit import unstash_login
from allauth.account.models import EmailAddress
from allauth.account.signals import email_changed
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from django.conf import settings
from django.http import HttpRequest

from accounts import encryption, services
from accounts.mfa import second_factor_required
from accounts.models import Role, SocialAppSecret, User
from accounts.verification import address_proven
from helpdesk.ratelimits import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return settings.ACCOUNT_SIGNUP_OPEN

    def new_user(self, request: HttpRequest) -> User:
        """Everyone who signs up, with a password or a provider, starts as a requester; only admins promote."""
        user = super().new_user(request)
        user.role = Role.REQUESTER
        return user

    def get_client_ip(self, request: HttpRequest) -> str:
        """allauth's rate limits count per client the same way ours do (TRUSTED_PROXIES, never a spoofed header)."""
        return client_ip(request)

    def confirm_email(self, request: HttpRequest, email_address: EmailAddress) -> bool:
        """A confirmation link followed. When it is the account's first proven address, whatever the account had
        while unproven is void (services.user_address_first_proven): its password too, unless this browser is the
        one that signed up or signed in with it, waiting for this very confirmation."""
        user = email_address.user
        if _another_account_has(email_address):
            return False
        first_proof = not address_proven(user)
        confirmed = super().confirm_email(request, email_address)
        if confirmed and first_proof:
            pending = unstash_login(request, peek=True)
            services.user_address_first_proven(
                user=user,
                keep_password=pending is not None and pending.user is not None and pending.user.pk == user.pk,
                keep_session_key=request.session.session_key,
            )
        return confirmed


def _another_account_has(email_address: EmailAddress) -> bool:
    """Whether another account signed up with the address while this one had only asked to change to it: the
    address is theirs (a confirmation of the change, followed later from the same mailbox, would give two accounts one
    address)."""
    return User.objects.filter(email__iexact=email_address.email).exclude(pk=email_address.user_id).exists()


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return settings.ACCOUNT_SIGNUP_OPEN

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data: dict[str, Any]) -> User:
        user = super().populate_user(request, sociallogin, data)
        user.name = (data.get("name") or "")[: User._meta.get_field("name").max_length]
        return user

    def list_apps(self, request: HttpRequest | None, provider: str | None = None, client_id: str | None = None):
        """Apps configured in the admin keep their client secret encrypted in SocialAppSecret, not in the app row."""
        apps: list[SocialApp] = super().list_apps(request, provider=provider, client_id=client_id)
        stored = [app.pk for app in apps if app.pk is not None]
        secrets = dict(SocialAppSecret.objects.filter(app__in=stored).values_list("app_id", "secret"))  # decrypted
        for app in apps:
            if app.pk in secrets:
                app.secret = secrets[app.pk]
        return apps


class MFAAdapter(DefaultMFAAdapter):
    """TOTP secrets and recovery-code seeds are stored as Fernet tokens (allauth calls these two hooks)."""

    def encrypt(self, text: str) -> str:
        return encryption.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return encryption.decrypt(encrypted_text)

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """While MFA_REQUIRED_FOR_STAFF is on, staff cannot turn TOTP off; the requirement would mean nothing."""
        if authenticator.type == Authenticator.Type.TOTP and second_factor_required(authenticator.user):
            return False
        return super().can_delete_authenticator(authenticator)


def primary_email_changed(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """allauth's `email_changed`: sent once the new primary address is User.email (a confirmed change on the Email
    page, or another address marked primary there). allauth has no adapter hook for it."""
    services.user_primary_email_changed(user=user)


def connect_signals() -> None:
    email_changed.connect(primary_email_changed, dispatch_uid="accounts.adapters.primary_email_changed")
