from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.mfa import second_factor_missing
from accounts.models import ApiToken, TokenScope, User
from accounts.tokens import token_digest
from accounts.verification import EMAIL_UNVERIFIED, how_to_confirm, proven_address_exists, remember_address_proven
from helpdesk.sql import CompiledQuery

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# last_used_at is written at most this often, so a busy integration does not write on every request.
LAST_USED_RESOLUTION_SECONDS = 60


def _token_by_digest(digest: str) -> QuerySet[ApiToken]:
    return (
        ApiToken.objects.select_related("user")
        .annotate(address_proven=proven_address_exists("user__"))
        .filter(digest=digest)
        .order_by()
    )


# Compiled once per process: compiling this query (its join and subquery) took longer than running it.
_TOKEN_LOOKUP = CompiledQuery(_token_by_digest, text=True)


class InsufficientScope(exceptions.PermissionDenied):
    default_detail = "This token is read-only: create one that allows changes (write) to do this."
    default_code = "insufficient_scope"


class SecondFactorMissing(exceptions.PermissionDenied):
    default_detail = "Set up two-factor authentication before using the API."
    default_code = "mfa_required"


class EmailUnverified(exceptions.PermissionDenied):
    default_code = EMAIL_UNVERIFIED

    def __init__(self) -> None:
        super().__init__(how_to_confirm())


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>` for integrators.

    Scopes are enforced here, next to the token, rather than in every view's permissions: a read-only token may
    only read, whatever the endpoint. Session-authenticated calls never reach this class, so scopes do not apply.
    """

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: expected 'Bearer <token>'.")
        try:
            secret = header[1].decode()
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        token = _TOKEN_LOOKUP.first(token_digest(secret))
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid token.")
        # Whoever holds the secret may learn why it stopped working: it tells a script to get a new one.
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This token has been revoked.")
        if token.is_expired:
            raise exceptions.AuthenticationFailed("This token has expired.")
        # A token issued before its account proved the address (or before this check existed) grants nothing yet.
        remember_address_proven(token.user, token.address_proven)
        if not token.address_proven:
            raise EmailUnverified()
        # The token endpoint issues no token to staff without a second factor, but a requester's token outlives her
        # promotion (and a token outlives MFA_REQUIRED_FOR_STAFF being turned on): it waits for the second factor too.
        if second_factor_missing(token.user):
            raise SecondFactorMissing()
        self._touch(token)
        if request.method not in SAFE_METHODS and not token.has_scope(TokenScope.WRITE):
            raise InsufficientScope()
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword

    @staticmethod
    def _touch(token: ApiToken) -> None:
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


class CredentialsInBody(authentication.BaseAuthentication):
    """For POST /auth/token, which reads an email and password from the body.

    Any Authorization header is ignored, so a script whose old token expired or was revoked can still get a new one.
    It authenticates nobody, but still answers 401 (not 403) with `WWW-Authenticate: Bearer` to wrong credentials.
    """

    def authenticate(self, request: Request) -> None:
        return None

    def authenticate_header(self, request: Request) -> str:
        return BearerTokenAuthentication.keyword
