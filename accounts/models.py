from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import tzinfo
from typing import TYPE_CHECKING, TypeVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.fields import EncryptedTextField
from helpdesk.time_zones import validate_time_zone, zone_or_default

R = TypeVar("R")

if TYPE_CHECKING:
    from tickets.models import Team


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    AGENT = "agent", "Agent"
    REQUESTER = "requester", "Requester"


STAFF_ROLES = frozenset({Role.ADMIN, Role.AGENT})
# The agent automation rules act as (automations.services.automation_actor): no password, an address taking no mail.
AUTOMATION_ACTOR_EMAIL = "automation@helpdesk.invalid"


def forfeited_address(user_pk: int) -> str:
    """What an account that lost the address it never proved holds instead (accounts.services.email_address_claim):
    unique, taking no mail, and unguessable: anyone may sign up with any address, and one who took this one first
    would otherwise make every proof of the address fail."""
    return f"forfeited-{user_pk}-{secrets.token_hex(8)}@helpdesk.invalid"


def normalize_email_address(email: str) -> str:
    """Emails are compared case-insensitively; we store them lower-cased so lookups stay indexable."""
    return email.strip().lower()


def with_this_address(rows: Iterable[R], address: str, *, field: str = "email") -> list[R]:
    """Of `rows` a case-insensitive lookup found, those whose `field` is this very address. PostgreSQL's iexact
    compares UPPER(), which takes other addresses for it (`mona@ma\u0131l.example`, with a dotless i, for
    `mona@mail.example`): a door finding Mona by her address must find nothing of whoever holds the other."""
    address = normalize_email_address(address)
    return [row for row in rows if normalize_email_address(getattr(row, field)) == address]


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=normalize_email_address(username or ""))

    def create_user(self, email: str, password: str | None = None, **fields: object) -> User:
        if not email:
            raise ValueError("Users need an email address.")
        user = self.model(email=normalize_email_address(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> User:
        fields["role"] = Role.ADMIN
        return self.create_user(email, password, **fields)

    def staff(self) -> models.QuerySet[User]:
        """The people who work tickets: active agents and admins, without the automation rules' actor, whom nobody
        may assign a ticket to or pick from a list of agents."""
        return self.filter(role__in=STAFF_ROLES, is_active=True).exclude(email=AUTOMATION_ACTOR_EMAIL)

    def staff_of(self, team: Team) -> models.QuerySet[User]:
        """A team's people who work tickets (staff()), by id."""
        return self.staff().filter(teams=team).order_by("pk")


class User(AbstractBaseUser, PermissionsMixin):
    """Everyone who signs in. `role` is the single source of truth for what they may do."""

    email = models.EmailField(unique=True)
    name = models.CharField("display name", max_length=150, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.REQUESTER, db_index=True)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="Pages and mails show this person times in this zone. Blank: the site's default (TIME_ZONE).",
    )
    # A blank zone is either never chosen or the site's default chosen on purpose; only the first gets the browser's
    # zone suggested on the Time zone page (static/js/time-zone.js). Set whenever a zone is saved (user_update).
    time_zone_chosen = models.BooleanField(
        default=False,
        db_default=False,  # rows written by plain SQL too (bench/pg_data.py)
        editable=False,
        help_text="Whether a zone was saved on purpose, the site's default included.",
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.email

    # is_staff and is_superuser are derived from `role` rather than stored, so they can never disagree with it.
    @property
    def is_staff(self) -> bool:
        """Admins and agents enter the Django admin; what they see there is decided by RoleBackend."""
        return self.role in STAFF_ROLES

    @property
    def is_superuser(self) -> bool:  # type: ignore[override]
        return self.role == Role.ADMIN

    @property
    def zone(self) -> tzinfo:
        """The zone pages and mails tell this person times in (helpdesk.time_zones.zone_or_default)."""
        return zone_or_default(self.time_zone)

    @property
    def is_agent_or_admin(self) -> bool:
        return self.is_active and self.role in STAFF_ROLES

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email_address(self.email)


class TokenScope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Write"


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> ApiTokenQuerySet:
        """Neither revoked nor expired."""
        not_expired = models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=timezone.now())
        return self.filter(not_expired, revoked_at__isnull=True)


class ApiToken(models.Model):
    """A personal access token for the API. Only a SHA-256 digest of the secret is stored; the secret is shown once.

    `scopes` is space-separated, like OAuth's: "read" or "read write". Revoked tokens are kept (with `revoked_at`)
    so the admin can still see what existed and when it was last used.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, help_text="The first characters of the secret, to recognise it.")
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.CharField(max_length=32, default="read write")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def has_scope(self, scope: str) -> bool:
        return scope in self.scope_list

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and not self.is_expired


class RoleChange(models.Model):
    """The audit log of role changes: who changed whose role, from what to what, and when."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_changes")
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    old_role = models.CharField(max_length=16, choices=Role.choices)
    new_role = models.CharField(max_length=16, choices=Role.choices)
    changed_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user}: {self.old_role} → {self.new_role}"


class SocialAppSecret(models.Model):
    """The client secret of an OAuth application configured in the admin, encrypted at rest.

    allauth's own SocialApp.secret column stays empty; accounts.adapters.SocialAccountAdapter puts the decrypted
    secret back on the app when allauth asks for it.
    """

    app = models.OneToOneField("socialaccount.SocialApp", on_delete=models.CASCADE, related_name="encrypted_secret")
    secret = EncryptedTextField()

    def __str__(self) -> str:
        return f"Secret of {self.app}"
