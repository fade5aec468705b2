"""Who has a second factor, and who must have one. Used by pages, the API and the staff-2FA middleware alike."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings

from accounts.models import User


def user_has_second_factor(user: User) -> bool:
    """A TOTP authenticator is set up (recovery codes alone are a fallback, not a factor)."""
    return is_mfa_enabled(user, types=[Authenticator.Type.TOTP])


def second_factor_required(user: User) -> bool:
    """MFA_REQUIRED_FOR_STAFF makes agents and admins set up TOTP before they can do anything else."""
    return settings.MFA_REQUIRED_FOR_STAFF and user.is_agent_or_admin


def second_factor_missing(user: User) -> bool:
    return second_factor_required(user) and not user_has_second_factor(user)
