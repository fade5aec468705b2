"""The one rule every door asks: has this account proven it owns its email address?

An address is proven when allauth's EmailAddress row for it is verified: the owner typed the mailed code into the
browser that asked for it (signed up, signed in, or asked to change to the address), reset the password from a mailed
link, or an admin (or a provider that vouches for it) said so. Until then the account gets nothing from any door: no
token from `POST /api/v1/auth/token`, no use of a token it already has, no session, no admin, and no ticket filed under
the address (tickets/selectors.py). Anyone can type anyone's address into a sign-up form or a public intake form; only
the mailbox's owner can prove it.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse

from accounts.models import User

EMAIL_UNVERIFIED = "email_unverified"
# Cached on the user object for the rest of the request: several doors and selectors ask within one request.
_PROVEN_ATTRIBUTE = "_address_proven"


def how_to_confirm() -> str:
    return (
        "Confirm your email address first: sign in at "
        f"{reverse('account_login')} and enter the code from the confirmation mail we send you there."
    )


def _verified_rows(user: object, email: object) -> QuerySet:
    from allauth.account.models import EmailAddress  # allauth's models load after the apps registry

    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True)


def proven_address_exists(user_path: str = "") -> Exists:
    """The rule as a query expression, for annotating rows that reach a user (`"user__"` from an ApiToken)."""
    return Exists(_verified_rows(OuterRef(f"{user_path}pk"), OuterRef(f"{user_path}email")))


def address_proven(user: User) -> bool:
    cached = getattr(user, _PROVEN_ATTRIBUTE, None)
    if cached is None:
        cached = _verified_rows(user.pk, user.email).exists()
        remember_address_proven(user, cached)
    return cached


def remember_address_proven(user: User, proven: bool) -> None:
    """For a user loaded with `proven_address_exists()` already answered (the bearer token's query)."""
    setattr(user, _PROVEN_ATTRIBUTE, proven)
