"""Read queries of the accounts app that need care."""

from __future__ import annotations

import unicodedata
from importlib import import_module
from typing import TYPE_CHECKING, Any

import idna
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from accounts.models import ApiToken, User, normalize_email_address, with_this_address

if TYPE_CHECKING:
    from allauth.account.models import EmailAddress

REQUESTER_DEACTIVATED = "The account with this address is deactivated."
ADDRESS_RESERVED = (
    "Addresses at .invalid domains take no mail, nor do addresses with invisible characters or a top-level domain "
    "mixing alphabets; use a real address."
)


def _session_signed_in_as(data: dict, user: User) -> bool:
    """The test django.contrib.auth applies on each request: same user, and the password has not changed since."""
    if data.get(SESSION_KEY) != str(user.pk):
        return False
    session_hash = data.get(HASH_SESSION_KEY) or ""
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    return any(constant_time_compare(session_hash, known) for known in hashes)


def user_sessions_signed_in(user: User) -> list[UserSession]:
    """The user's sessions that still sign someone in, forgetting the rest (signed out, expired, old password).

    allauth's purge_and_list does the same with three queries per session; with database sessions this reads
    all of them in one query, so the page costs the same however many devices the user has.
    """
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if not issubclass(store_class, DatabaseSessionStore):
        return UserSession.objects.purge_and_list(user)
    rows = list(UserSession.objects.filter(user_id=user.pk))
    stored = store_class.get_model_class().objects.filter(
        session_key__in=[row.session_key for row in rows], expire_date__gt=timezone.now()
    )
    live = {entry.session_key for entry in stored if _session_signed_in_as(entry.get_decoded(), user)}
    stale = [row.pk for row in rows if row.session_key not in live]
    if stale:
        UserSession.objects.filter(pk__in=stale).delete()
    return [row for row in rows if row.session_key in live]


def address_has_an_account(email: str) -> bool:
    """Whether an account has this address: as its account address, or confirmed. An address someone has only asked
    to change to (pending on their Email page) is nobody's yet: anyone can type anyone's address there. Never a
    lookalike's (accounts.models.with_this_address)."""
    return bool(accounts_at_address(email) or email_addresses_at(email, verified=True))


def accounts_owning_address(users: list[User], email: str) -> list[User]:
    """Of the accounts allauth finds by an address (for a password reset), those whose address it is: their account
    address, or one they have confirmed. Not an account that only asked to change to it (a pending, unconfirmed
    address on the Email page), which anyone can do with anyone's address: a reset link mailed there for that
    account would have the mailbox's owner set the password of, and move into, an account someone else holds."""
    address = normalize_email_address(email)
    return [
        user
        for user in users
        if normalize_email_address(user.email) == address or email_addresses_at(address, user=user, verified=True)
    ]


def api_tokens_of(user: User | AnonymousUser) -> QuerySet[ApiToken]:
    """The tokens a user sees and may revoke, on the page and through the API: their own, still usable."""
    if not user.is_authenticated:
        return ApiToken.objects.none()
    return ApiToken.objects.usable().filter(user=user)


def requester_address_refusal(email: str) -> str | None:
    """Why nothing new may be filed under this address as a requester's, or None when it may (an active account, or
    no account yet). The one rule for every door that finds a requester by address: a guest's public form, inbound
    mail (a new ticket, a reply, a Cc'd follower) and staff opening a ticket on someone's behalf, on the page and
    through the API.

    An account an admin deactivated takes no new tickets or mail until it is reactivated: it cannot sign in to see
    them, and it is never mailed (notifications skip inactive recipients)."""
    address = normalize_email_address(email)
    if address_reserved(address):
        return ADDRESS_RESERVED
    return REQUESTER_DEACTIVATED if any(not user.is_active for user in accounts_at_address(address)) else None


def accounts_at_address(email: str) -> list[User]:
    """The accounts whose address this is (one, by the unique index on lower(email), or none), never a lookalike's
    (accounts.models.with_this_address)."""
    address = normalize_email_address(email)
    # By lower(), as the unique index reads the column, so the index is used.
    return with_this_address(User.objects.annotate(address=Lower("email")).filter(address=address), address)


def email_addresses_at(email: str, **filters: Any) -> list[EmailAddress]:
    """allauth's rows (the Email page's addresses, confirmed or not) of this very address, never a lookalike's
    (accounts.models.with_this_address); `filters` narrows them (`verified=True`, `user=...`)."""
    from allauth.account.models import EmailAddress  # allauth's models load after the apps registry

    address = normalize_email_address(email)
    return with_this_address(EmailAddress.objects.filter(email__iexact=address, **filters), address)


def address_reserved(email: str) -> bool:
    """Whether the address is at a `.invalid` domain (RFC 2606: no such mailbox exists anywhere), or one that reads
    as such: the helpdesk gives such addresses to accounts of its own (the automations' actor, an account that lost
    an address it never proved), and an account anyone made under one first, by signing up or writing in, would stand
    in for them. An address holding invisible (format) characters is nobody's either: mail to it goes where the
    address without them goes, IDNA leaves them out, and on a page it reads as that address. The one exception is
    what IDNA2008 keeps in a domain: a zero-width non-joiner or joiner where its script needs one (CONTEXTJ: Persian
    writes some words with a ZWNJ, Indic scripts put one after a virama), which makes it another domain."""
    address = normalize_email_address(email)
    local, _, domain = address.rpartition("@")
    if any(unicodedata.category(character) == "Cf" for character in local):
        return True
    domain = _domain_as_read(domain)
    if not all(_joiners_as_idna_allows(label) for label in domain.split(".")):
        return True
    top_level = domain.rpartition(".")[2]
    return top_level == "invalid" or _lookalike_top_level(top_level)


# The only format (Cf) characters IDNA2008 does not disallow in a label, each under its CONTEXTJ rule (RFC 5892).
_JOINERS = {"\u200c", "\u200d"}


def _joiners_as_idna_allows(label: str) -> bool:
    """Whether the label's format characters, if any, are joiners in a context IDNA2008 allows them in."""
    invisible = {character for character in label if unicodedata.category(character) == "Cf"}
    if not invisible:
        return True
    if not invisible <= _JOINERS:
        return False
    try:
        # Non-transitional UTS #46 keeps the joiners, and check_label then applies CONTEXTJ to them.
        idna.encode(label, uts46=True)
    except idna.IDNAError:
        return False
    return True


# Letters that read as those of "invalid" (UTS #39 confusables, for these letters only: the stdlib has no
# confusables data): Cyrillic and Greek ones, and Latin small capitals, which are of the one alphabet.
_INVALID_LOOKALIKES = str.maketrans(
    {"\u0456": "i", "\u03b9": "i", "\u043f": "n", "\u0475": "v", "\u03bd": "v", "\u0430": "a", "\u03b1": "a"}
    | {"\u04cf": "l", "\u0501": "d"}
    | {"\u026a": "i", "\u0274": "n", "\u1d20": "v", "\u1d00": "a", "\u029f": "l", "\u1d05": "d"}
)


def _lookalike_top_level(label: str) -> bool:
    """Whether a top-level domain passes for another: one mixing Latin letters with another alphabet's (`invalid`
    with a Cyrillic U+0456, a Coptic U+2C93 or a Cherokee U+13A5 for its first i), or Cyrillic with Greek, which
    no real one does (IANA delegates single-script TLDs only, such as `рф` or `vermögensberater`; Japanese ones mix
    kana and kanji, never Latin), or one reading as `invalid` in lookalike or accented letters of one alphabet
    (a Latin small capital I, U+026A, or an accented i for its first i). A letter's script is the first word of its
    Unicode name (LATIN, CYRILLIC, COPTIC...): the stdlib has no Script property."""
    if label.isascii():
        return False
    scripts = {unicodedata.name(character, "").partition(" ")[0] for character in label if character.isalpha()}
    mixes_latin = "LATIN" in scripts and len(scripts) > 1
    mixes_alphabets = mixes_latin or len(scripts & {"LATIN", "CYRILLIC", "GREEK"}) > 1
    return mixes_alphabets or _without_marks(label).translate(_INVALID_LOOKALIKES) == "invalid"


def _without_marks(label: str) -> str:
    """The label's letters without their accents (the combining marks NFD splits off)."""
    return "".join(c for c in unicodedata.normalize("NFD", label) if not unicodedata.combining(c))


def _domain_as_read(domain: str) -> str:
    """The domain as mail goes to it and as PostgreSQL's case-insensitive match takes it: NFKC, as IDNA maps it
    (fullwidth letters and full stops to plain ones), and through upper case, as UPPER() compares (a dotless i is
    an i; accounts.models.with_this_address). An A-label is read as the letters it encodes (`_label_as_read`)."""
    read = unicodedata.normalize("NFKC", domain).upper().lower()
    return ".".join(_label_as_read(label) for label in read.split("."))


def _label_as_read(label: str) -> str:
    """An A-label (`xn--p1ai`) as its letters (`рф`): it is the same domain, and mail clients and browsers show it
    so, so the rules on lookalikes and invisible characters apply to what it encodes. Decoded with the punycode
    codec, not IDNA, which would refuse the very labels those rules are for; one that is no punycode stays as it is."""
    if not label.startswith("xn--"):
        return label
    try:
        letters = label[4:].encode("ascii").decode("punycode")
    except ValueError:  # UnicodeError: not ASCII, or no valid punycode
        return label
    return unicodedata.normalize("NFKC", letters).upper().lower()
