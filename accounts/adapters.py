"""How allauth fits this helpdesk: who may sign up, what a new user is, where client secrets come from, and what
follows a change of address."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.stagekit import unstash_login
from allauth.account.models import EmailAddress
from allauth.account.signals import email_changed
from allauth.core import context as allauth_context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from allauth.socialaccount.providers import registry
from allauth.socialaccount.providers.base import AuthProcess, Provider
from allauth.socialaccount.providers.github.provider import GitHubProvider
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import MultipleObjectsReturned
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest
from django.shortcuts import render
from django.utils import timezone

from accounts import encryption, services
from accounts.mfa import second_factor_required
from accounts.models import Role, SocialAppSecret, User
from accounts.selectors import ADDRESS_RESERVED, address_reserved
from accounts.verification import address_proven
from helpdesk.ratelimits import client_ip
from helpdesk.time_zones import in_zone_of

logger = logging.getLogger(__name__)

# Set while a confirmation's changes are uncommitted: what allauth mails then waits for them (AccountAdapter.send_mail).
_mail_waits_for_commit: ContextVar[bool] = ContextVar("mail_waits_for_commit", default=False)


@contextlib.contextmanager
def _mail_after_commit() -> Iterator[None]:
    token = _mail_waits_for_commit.set(True)
    try:
        yield
    finally:
        _mail_waits_for_commit.reset(token)


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return settings.ACCOUNT_SIGNUP_OPEN

    def clean_email(self, email: str) -> str:
        """Signing up with an address, or adding one on the Email page: not one of the reserved kind the helpdesk
        gives its own accounts (accounts.selectors.address_reserved)."""
        if address_reserved(email):
            raise forms.ValidationError(ADDRESS_RESERVED)
        return super().clean_email(email)

    def new_user(self, request: HttpRequest) -> User:
        """Everyone who signs up, with a password or a provider, starts as a requester; only admins promote."""
        user = super().new_user(request)
        user.role = Role.REQUESTER
        return user

    def get_client_ip(self, request: HttpRequest) -> str:
        """allauth's rate limits count per client the same way ours do (TRUSTED_PROXIES, never a spoofed header)."""
        return client_ip(request)

    def confirm_email(self, request: HttpRequest, email_address: EmailAddress) -> bool:
        """A mailed code typed in, in the browser that asked for it (allauth keeps the code in its session; the
        code form, accounts.forms.EmailCodeConfirmForm, leaves who may have the address to this). An account that
        only claimed the address (signed up with it, never confirmed it) loses it to this proof; one that holds it
        otherwise keeps it, and this fails (services.email_address_claim). When it is the account's first proven
        address, whatever the account had while unproven is void (services.user_address_first_proven): its password
        too, unless this browser is the one that signed up or signed in with it, waiting for this very confirmation
        (with codes it always is; the check stays for any other way in). Mail sent meanwhile waits for the commit
        (send_mail)."""
        try:
            with _mail_after_commit(), transaction.atomic():
                return self._confirm_email_claiming(request, email_address)
        except IntegrityError:
            # Another account's confirmation of the same address committed while this one was under way (neither
            # saw the other's): the unique index on verified addresses gave it to that one.
            logger.warning("Confirmation refused: another account confirmed the address meanwhile.", exc_info=True)
            self._confirmation_refused(request, email_address)
            return False

    def _confirm_email_claiming(self, request: HttpRequest, email_address: EmailAddress) -> bool:
        user = email_address.user
        try:
            services.email_address_claim(email=email_address.email, confirming=email_address)
        except services.AddressHeld:
            self._confirmation_refused(request, email_address)
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

    def _confirmation_refused(self, request: HttpRequest, email_address: EmailAddress) -> None:
        self.add_message(
            request, messages.ERROR, "account/messages/email_confirmation_failed.txt", {"email": email_address.email}
        )

    def send_notification_mail(
        self, template_prefix: str, user: User, context: dict | None = None, email: str | None = None
    ) -> None:
        """allauth's notice of a change to an account ("Date: ...") tells its time in the account's zone, not the
        request's: a password reset link may be followed signed out, on another device."""
        with in_zone_of(user):
            super().send_notification_mail(template_prefix, user, context, email)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """During a confirmation (allauth's "email changed" mail to the old address), the mail goes out once the
        confirmation is committed: rolled back, it would tell of a change that never happened. A failure to send it
        then is logged and leaves the confirmation done (robust)."""
        if not _mail_waits_for_commit.get():
            super().send_mail(template_prefix, email, context)
            return
        send = super().send_mail
        request = allauth_context.request  # the request may be over by the commit (an outer transaction's)
        zone = timezone.get_current_timezone()  # the recipient's (send_notification_mail), also by then

        def send_once_committed() -> None:
            with allauth_context.request_context(request), timezone.override(zone):
                send(template_prefix, email, context)

        transaction.on_commit(send_once_committed, robust=True)


class ProviderNotConfigured(SocialApp.DoesNotExist, Http404):
    """No app for the provider: its sign-in URLs, which exist whether or not anyone configured it, are not found.
    Still a SocialApp.DoesNotExist, so allauth code that looks for an app and copes without one keeps coping."""


def provider_name(provider: str) -> str:
    """A provider's name as people know it ("GitHub"), from its id ("github")."""
    provider_class = registry.get_class(provider)
    return provider_class.name if provider_class is not None else provider


def providers_configured_twice(apps: list[SocialApp]) -> set[str]:
    """The providers among `apps` (as list_apps gives them) for which allauth's get_app finds no single app: more
    than one answers to the provider's name, and not exactly one of those is visible."""
    names = {app.provider for app in apps} | {app.provider_id for app in apps if app.provider_id}
    twice = set()
    for name in names:
        matching = [app for app in apps if name in (app.provider, app.provider_id)]
        visible = [app for app in matching if not app.settings.get("hidden")]
        if len(matching) > 1 and len(visible) != 1:
            twice.add(name)
    return twice


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return settings.ACCOUNT_SIGNUP_OPEN

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """A new account is about to be made from a provider that vouches for its address (GitHub's verified flag, a
        trusted GitLab): that proof wins over an account that only claimed the address, as a followed confirmation
        link does (services.email_address_claim). Without it, allauth would take the claim for an account and keep
        the address's owner out, mailing them that one exists. An address another account owns stays its own: allauth
        then answers as it always does, and never signs in or connects to it."""
        super().pre_social_login(request, sociallogin)
        if sociallogin.is_existing or sociallogin.state.get("process") != AuthProcess.LOGIN:
            return
        if not sociallogin.email_addresses or not self.is_open_for_signup(request, sociallogin):
            return
        address = sociallogin.email_addresses[0]  # the one allauth checks and makes the account's address
        if address.verified:
            with contextlib.suppress(services.AddressHeld):
                services.email_address_claim(email=address.email)

    def is_email_verified(self, provider: Provider, email: str) -> bool:
        """Whether to take every address this provider reports as verified, whatever the provider says: an app's
        "verified_email", which the admin sets for a GitLab they trust. Never for GitHub, whose own per-address flag
        decides: ticked on a GitHub app, an address anyone may type on their GitHub profile would prove itself here,
        and win over the account that signed up with it (pre_social_login)."""
        if provider.id == GitHubProvider.id:
            return False
        return super().is_email_verified(provider, email)

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data: dict[str, Any]) -> User:
        user = super().populate_user(request, sociallogin, data)
        user.name = (data.get("name") or "")[: User._meta.get_field("name").max_length]
        if sociallogin.email_addresses:
            # allauth checks that this address is free (and pre_social_login makes way for it), but gives the new user
            # the profile's public address, which GitHub lets differ from it: taken by another account, the sign-up
            # would end in a 500 on the unique address. An address of the list that is taken stays off the account.
            user.email = sociallogin.email_addresses[0].email
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

    def get_app(self, request: HttpRequest | None, provider: str, client_id: str | None = None) -> SocialApp:
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist as error:
            raise ProviderNotConfigured(f"No {provider} app is configured.") from error
        except MultipleObjectsReturned as error:
            # Two apps for one provider (two admin rows, or one next to the environment's): allauth cannot tell which
            # to use, and we never pick one: they may differ in server, secret or whether addresses are trusted. The
            # admin refuses to make such a pair (accounts.forms.SocialAppAdminForm), but rows made before that, by two
            # admins at once, or next to an environment variable set later still can: a page saying so, not a 500
            # (allauth's AccountMiddleware answers an ImmediateHttpResponse with its response).
            name = provider_name(provider)
            logger.error("Sign-in with %s refused: it has more than one application.", name)
            if request is None:
                raise
            page = render(request, "socialaccount/provider_configured_twice.html", {"provider_name": name}, status=503)
            raise ImmediateHttpResponse(page) from error

    def list_providers(self, request: HttpRequest) -> list[Provider]:
        """The sign-in page and Connected accounts leave out a provider configured twice (see get_app): its button
        would only lead to the page saying so."""
        providers: list[Provider] = super().list_providers(request)
        configured_twice = providers_configured_twice([p.app for p in providers if p.uses_apps])
        return [p for p in providers if p.id not in configured_twice]


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
