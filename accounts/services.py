from __future__ import annotations

from django.db import transaction

from accounts.models import ApiToken, Role, User, normalize_email_address
from accounts.tokens import token_digest, token_generate


class EmailTaken(Exception):
    pass


@transaction.atomic
def user_create(*, email: str, password: str | None = None, name: str = "", role: str = Role.REQUESTER) -> User:
    email = normalize_email_address(email)
    if User.objects.filter(email=email).exists():
        raise EmailTaken(email)
    return User.objects.create_user(email=email, password=password, name=name, role=role)


@transaction.atomic
def user_update(
    *,
    user: User,
    name: str | None = None,
    role: str | None = None,
    is_active: bool | None = None,
    password: str | None = None,
) -> User:
    if name is not None:
        user.name = name
    if role is not None:
        user.role = role
    if is_active is not None:
        user.is_active = is_active
    if password:
        user.set_password(password)
    user.save()
    return user


@transaction.atomic
def api_token_issue(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is never stored and cannot be shown again."""
    secret = token_generate()
    token = ApiToken.objects.create(user=user, name=name, prefix=secret[:10], digest=token_digest(secret))
    return token, secret
