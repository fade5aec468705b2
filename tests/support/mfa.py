"""Two-factor helpers for tests: the codes an authenticator app would show, and allauth's password re-check."""

from __future__ import annotations

import time

from allauth.mfa import app_settings
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.conftest import PASSWORD


def code_for(secret: str, steps: int = 0) -> str:
    """What an authenticator app shows now (or `steps` windows away) for this secret.

    Tests using it set MFA_TOTP_TOLERANCE = 1, so a code computed at the very end of a 30-second window is still
    accepted a moment later, as for a real user.
    """
    counter = int(time.time()) // app_settings.TOTP_PERIOD + steps
    return format_hotp_value(hotp_value(secret, counter))


def confirm_password(client: Client) -> None:
    """allauth asks for the password again (at most every five minutes) before a two-factor change."""
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})


def with_totp(user: User) -> str:
    """Give `user` an active TOTP authenticator; returns its secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret
