from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialApp
from allauth.usersessions.models import UserSession
from django.db import transaction
from django.utils import timezone

from accounts.models import (
    ApiToken,
    Role,
    RoleChange,
    SocialAppSecret,
    TokenScope,
    User,
    forfeited_address,
    normalize_email_address,
    with_this_address,
)
from accounts.selectors import email_addresses_at
from accounts.tokens import SHOWN_PREFIX_LENGTH, token_digest, token_generate
from accounts.verification import address_proven, remember_address_proven
from events.models import EventKind
from events.services import event_record
from helpdesk.errors import NotPermitted


class EmailTaken(Exception):
    pass


class AddressHeld(Exception):
    """Another account holds the address, and keeps it (see `email_address_claim`)."""


class AccountDeactivated(NotPermitted):
    """The account was deactivated, or its password changed or voided, after the request authenticated it: it gets
    no new credential."""


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str | None = None,
    name: str = "",
    role: str = Role.REQUESTER,
    email_verified: bool = True,
    time_zone: str | None = None,
) -> User:
    """A new account. `email_verified`: whether whoever creates it vouches for the address (an admin, the demo seed)
    or not (someone who typed it into a public form, who need not own it). `time_zone`: None for the site's, not
    chosen yet; a name, or blank for the site's, is chosen (User.time_zone_chosen), as when saved by user_update."""
    email = normalize_email_address(email)
    if User.objects.filter(email=email).exists():
        raise EmailTaken(email)
    user = User.objects.create_user(
        email=email,
        password=password,
        name=name,
        role=role,
        time_zone=time_zone or "",
        time_zone_chosen=time_zone is not None,
    )
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
    time_zone: str | None = None,
) -> User:
    # Compare with the stored row, not with `user`: a form (the admin's) may already have put new values on it.
    stored_role, stored_email, stored_name, stored_active = (
        User.objects.filter(pk=user.pk).values_list("role", "email", "name", "is_active").get()
    )
    # Only the fields given are written, the others taken as stored: `user` may be a request's, read before an admin
    # deactivated the account, changed its role or its password, and saving its time zone must not undo that.
    given = {"email": email, "name": name, "role": role, "is_active": is_active, "password": password or None}
    fields = [field for field, value in {**given, "time_zone": time_zone}.items() if value is not None]
    if time_zone is not None:
        fields.append("time_zone_chosen")
    stored = {"email": stored_email, "name": stored_name, "role": stored_role, "is_active": stored_active}
    for field, value in stored.items():
        if given[field] is None:
            setattr(user, field, value)
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
    if time_zone is not None:
        user.time_zone = time_zone
        user.time_zone_chosen = True  # even blank: the site's default, on purpose
    user.save(update_fields=fields)
    if user.email != stored_email:
        # An admin who changes a user's address vouches for the new one, as when creating the user.
        EmailAddress.objects.filter(user=user).delete()
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    if (user.email, user.name) != (stored_email, stored_name):
        _user_edited_record(user=user, actor=actor)
    if stored_active and not user.is_active:
        # Its sessions and tokens already get nothing; ended, they stay dead once the account is reactivated, so a
        # stolen laptop's session or a leaked token does not come back with it. The owner signs in and makes new ones.
        _sessions_and_tokens_end(user=user)
    return user


def _sessions_and_tokens_end(*, user: User, keep_session_key: str | None = None) -> None:
    account_lock(user)  # a token being issued meanwhile is committed first, so it is revoked here with the others
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    for session in UserSession.objects.filter(user=user).exclude(session_key=keep_session_key or ""):
        session.end()


@transaction.atomic
def user_primary_email_changed(*, user: User) -> None:
    """allauth made another of the user's addresses their primary one (they confirmed a new address on their Email
    page) and has already written it to User.email; what else holds the old address catches up."""
    _user_edited_record(user=user, actor=user)


def _user_edited_record(*, user: User, actor: User | None) -> None:
    # Their tickets' search documents hold the requester's name and address (search/handlers.py).
    event_record(kind=EventKind.USER_EDITED, actor=actor, internal=True, payload={"user_id": user.pk})


@transaction.atomic
def user_password_reset(*, user: User, password: str) -> User:
    """A new password set from a link mailed to the account's address: whoever followed it owns the mailbox, so the
    address is proven by it (see `user_address_first_proven` for what that voids)."""
    if not address_proven(user):
        user_address_first_proven(user=user, keep_password=False)
        mailed = email_addresses_at(user.email, user=user)
        EmailAddress.objects.filter(pk__in=[row.pk for row in mailed]).update(verified=True)
        remember_address_proven(user, True)
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


def _proven_now(user_id: int) -> bool:
    # A fresh row each time: address_proven remembers its answer on the user object it was given.
    return address_proven(User.objects.get(pk=user_id))


@transaction.atomic
def email_address_save(*, address: EmailAddress) -> EmailAddress:
    """Store an address as an admin edited it (the Django admin's address list and page). The admin vouches for the
    address, not for whoever chose the account's password with it: when this proves the account's address for the
    first time, what the unproven account had is void, as when the owner proves it (they set a password by reset).
    Otherwise an attacker who signed up with someone else's address would keep signing in as them."""
    proven_before = _proven_now(address.user_id)
    address.save()
    if not proven_before and _proven_now(address.user_id):
        user_address_first_proven(user=User.objects.get(pk=address.user_id), keep_password=False)
    return address


@transaction.atomic
def user_address_first_proven(*, user: User, keep_password: bool, keep_session_key: str | None = None) -> None:
    """The owner of the address has proven it for the first time; until now anyone could have typed it. Whatever
    the unproven account had is void: its password (unless `keep_password`, when the person proving it is the one who
    chose it), its tokens, its sessions (but `keep_session_key`, the one proving it), its second factors and its
    connected provider accounts. The owner sets a password by reset if theirs was voided.

    This is what stops a pre-hijack: an attacker who signs up with someone else's address keeps nothing once the
    real owner confirms it.
    """
    if not keep_password:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    _unproven_account_credentials_void(user=user, keep_session_key=keep_session_key)


def _unproven_account_credentials_void(*, user: User, keep_session_key: str | None = None) -> None:
    _sessions_and_tokens_end(user=user, keep_session_key=keep_session_key)
    Authenticator.objects.filter(user=user).delete()
    SocialAccount.objects.filter(user=user).delete()


@transaction.atomic
def email_address_claim(*, email: str, confirming: EmailAddress | None = None) -> None:
    """Someone is proving they own `email`: they typed the mailed code of `confirming` into the browser that asked
    for it, or (None) a provider that vouches for the address is signing up a new account with it. Make way for the
    proof, or raise AddressHeld.

    Another account may hold the address as its own without ever having proven it: someone signed up with it and the
    confirmation mail went unused, perhaps to keep its owner out. The proof wins over that claim: the account loses
    the address (`_unproven_claim_forfeit`). It does not when the sign-up is newer than the change being confirmed
    (a row of a change asked for before confirmation went by code, whose link the mailbox's owner got before signing
    up: it confirms nothing now; a change confirmed by code has no row yet, and is newer), nor over an account
    nobody signed up to or one with tickets (filed under the address, perhaps by its owner writing in: the owner
    takes that account by setting its password from a reset link, tickets and all), a staff account, or one that
    proved the address."""
    address = normalize_email_address(email)
    prover_id = confirming.user_id if confirming is not None else None
    holders = with_this_address(
        User.objects.select_for_update()
        .filter(email__iexact=address)
        .exclude(pk=prover_id)
        .only("pk", "email", "role", "is_active", "password"),
        address,
    )
    holder = holders[0] if holders else None  # the unique index on lower(email) allows one
    if holder is not None and not _unproven_claim_yields(holder, to=confirming):
        raise AddressHeld(address)
    if any(row.user_id != prover_id for row in email_addresses_at(address, verified=True)):
        raise AddressHeld(address)
    if holder is not None:
        _unproven_claim_forfeit(user=holder, actor=confirming.user if confirming is not None else None)
    if confirming is None:
        # Changes other accounts asked for: allauth's sign-up would take them for accounts and keep the owner out.
        # (Their links would confirm nothing now anyway: the address is proven.)
        pending = email_addresses_at(address, verified=False)
        EmailAddress.objects.filter(pk__in=[row.pk for row in pending]).delete()


def _unproven_claim_yields(holder: User, *, to: EmailAddress | None) -> bool:
    """Whether `holder`'s hold on its address is a sign-up's unproven claim, older than the proof `to` (None: now)."""
    if holder.role != Role.REQUESTER or _proven_now(holder.pk):
        return False
    signed_up = holder.has_usable_password() or SocialAccount.objects.filter(user=holder).exists()
    if not signed_up or holder.requested_tickets.exists():
        return False  # tickets filed under the address stay where a reset link to it finds them
    # Which came first, the sign-up or the change being confirmed: their address rows' ids tell (allauth keeps no
    # date on them, and asking again for a change makes a new row).
    # A change confirmed by code has no row until now (allauth keeps it in the asking browser's session): it is newer.
    claimed = EmailAddress.objects.filter(user=holder, email__iexact=holder.email).values_list("pk", flat=True).first()
    return to is None or to.pk is None or claimed is None or claimed < to.pk


def _unproven_claim_forfeit(*, user: User, actor: User | None) -> None:
    """The account never proved its address, and `actor` has: it keeps no login for an address it never owned. Its
    rows stay (tickets filed under the address point at it), deactivated, under an address that takes no mail."""
    EmailAddress.objects.filter(user=user, verified=False).delete()  # no code mailed for it confirms it now
    user.email = forfeited_address(user.pk)
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["email", "is_active", "password"])
    _unproven_account_credentials_void(user=user)
    _user_edited_record(user=user, actor=actor)


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
    # The caller authenticated the account as `user` holds it. A deactivation or a first proof of the address (which
    # voids the password) committed since revoked the tokens it found, so this one would outlive it.
    account = account_lock(user)
    if not account.is_active:
        raise AccountDeactivated("This account was deactivated.")
    if account.password != user.password:
        raise AccountDeactivated("This account's password was changed or voided meanwhile: sign in again.")
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


def account_lock(user: User) -> User:
    """The account's row as it is now, locked until the caller's commit. Issuing a credential and ending them all
    (deactivation, a first proof of the address) both take it, so they take turns: a deactivation's own save of the
    row holds it already, and an issue waits for that to commit and then reads the account as it left it. A ticket
    opened for the account takes it too: a claim forfeiting it (email_address_claim) holds it until it commits."""
    return User.objects.select_for_update(no_key=True).only("pk", "email", "is_active", "password").get(pk=user.pk)


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
