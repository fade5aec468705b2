from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialApp
from django.db import transaction
from django.utils import timezone

from accounts.models import (
    ApiToken,
    Role,
    RoleChange,
    SocialAppSecret,
    TokenScope,
    User,
    normalize_email_address,
)
from accounts.tokens import SHOWN_PREFIX_LENGTH, token_digest, token_generate
from events.models import EventKind
from events.services import event_record


class EmailTaken(Exception):
    pass


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str | None = None,
    name: str = "",
    role: str = Role.REQUESTER,
    email_verified: bool = True,
) -> User:
    """A new account. `email_verified`: whether whoever creates it vouches for the address (an admin, the demo seed)
    or not (someone who typed it into a public form, who need not own it)."""
    email = normalize_email_address(email)
    if User.objects.filter(email=email).exists():
        raise EmailTaken(email)
    user = User.objects.create_user(email=email, password=password, name=name, role=role)
    EmailAddress.objects.create(user=user, email=email, verified=email_verified, primary=True)
    return user


@transaction.atomic
def user_update(
    *,
    user: User,
    actor: User | None = None,
    email: str | None = None,
    name: str | None = None,
    role: str | None = None,
    is_active: bool | None = None,
    password: str | None = None,
) -> User:
    # Compare with the stored row, not with `user`: a form (the admin's) may already have put new values on it.
    stored_role, stored_email = User.objects.filter(pk=user.pk).values_list("role", "email").get()
    if email is not None:
        user.email = normalize_email_address(email)
    if name is not None:
        user.name = name
    if role is not None:
        if role != stored_role:
            RoleChange.objects.create(user=user, actor=actor, old_role=stored_role, new_role=role)
            event_record(
                kind=EventKind.ROLE_CHANGED,
                actor=actor,
                internal=True,
                payload={"user_id": user.pk, "old": stored_role, "new": role},
            )
        user.role = role
    if is_active is not None:
        user.is_active = is_active
    if password:
        user.set_password(password)
    user.save()
    if user.email != stored_email:
        # An admin who changes a user's address vouches for the new one, as when creating the user.
        EmailAddress.objects.filter(user=user).delete()
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@transaction.atomic
def api_token_issue(
    *,
    user: User,
    name: str,
    scopes: Iterable[str] = (TokenScope.READ, TokenScope.WRITE),
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is never stored and cannot be shown again.

    Read is always granted: a token that may change things but not see them is of no use to anyone.
    """
    granted = {TokenScope.READ, *scopes}
    unknown = granted - set(TokenScope.values)
    if unknown:
        raise ValueError(f"Unknown token scopes: {sorted(unknown)}")
    secret = token_generate()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[:SHOWN_PREFIX_LENGTH],
        digest=token_digest(secret),
        scopes=" ".join(scope for scope in TokenScope.values if scope in granted),
        expires_at=expires_at,
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """The token stops working at once. The row stays, so the admin can still see what existed and when it was used."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


@transaction.atomic
def social_app_secret_set(*, app: SocialApp, secret: str) -> SocialAppSecret:
    """Keep an OAuth application's client secret encrypted in SocialAppSecret; allauth's own column stays empty.

    A secret found in clear in SocialApp.secret (an app saved before this existed) is emptied here.
    """
    if not secret:
        raise ValueError("A client secret cannot be empty.")
    stored, _ = SocialAppSecret.objects.update_or_create(app=app, defaults={"secret": secret})
    if app.secret:
        app.secret = ""
        app.save(update_fields=["secret"])
    return stored
