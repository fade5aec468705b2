from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from accounts.models import ApiToken, Role, TokenScope, User, normalize_email_address
from accounts.tokens import MAX_LIFETIME_DAYS
from helpdesk import api_fields
from helpdesk.time_zones import validate_time_zone

TIME_ZONE_HELP = (
    "The IANA name of the zone pages and mails show this person times in, such as `Europe/Berlin`; empty for the "
    "site's default. API times are ISO 8601 with their offset, whatever it is."
)


class KnownOrStoredTimeZone:
    """validate_time_zone, letting through the zone the person already has (the view's context `stored_time_zone`):
    one the tz database has since dropped is read back by GET, and a client sending back what it read must not be
    refused for it, as the pages keep it (helpdesk.time_zones.TimeZoneField.offer_stored). Other unknown names stay
    refused."""

    requires_context = True

    def __call__(self, value: str, field: serializers.Field) -> None:
        if value != field.context.get("stored_time_zone"):
            validate_time_zone(value)


def stored_zone_context(user: User) -> dict[str, str]:
    """The context of a serializer changing `user`: the zone they have passes its check (KnownOrStoredTimeZone)."""
    return {"stored_time_zone": user.time_zone}


def time_zone_field() -> api_fields.CharField:
    return api_fields.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        validators=[KnownOrStoredTimeZone()],
        help_text=TIME_ZONE_HELP,
    )


class UserSerializer(api_fields.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "name", "role", "is_active", "date_joined", "time_zone"]
        read_only_fields = fields
        extra_kwargs = {"time_zone": {"help_text": TIME_ZONE_HELP}}


class UserCreateSerializer(serializers.Serializer):
    email = api_fields.EmailField()
    name = api_fields.CharField(max_length=150, required=False, default="", allow_blank=True)
    role = serializers.ChoiceField(choices=Role.choices, required=False, default=Role.REQUESTER)
    password = api_fields.CharField(write_only=True, required=False, allow_blank=False, max_length=128)
    time_zone = time_zone_field()

    def validate_email(self, value: str) -> str:
        email = normalize_email_address(value)
        if User.objects.filter(email=email).exists():
            raise serializers.ValidationError("A user with this email already exists.")
        return email

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("password"):
            candidate = User(email=attrs["email"], name=attrs.get("name", ""))
            try:
                validate_password(attrs["password"], candidate)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"password": list(exc.messages)}) from exc
        return attrs


class UserUpdateSerializer(serializers.Serializer):
    name = api_fields.CharField(max_length=150, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    is_active = serializers.BooleanField(required=False)
    time_zone = time_zone_field()


class OwnAccountUpdateSerializer(serializers.Serializer):
    """What everyone may change of their own account through the API."""

    time_zone = time_zone_field()


class TokenRequestSerializer(serializers.Serializer):
    email = api_fields.EmailField()
    password = api_fields.CharField(max_length=128, trim_whitespace=False)
    name = api_fields.CharField(max_length=100, required=False, default="API token")
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=TokenScope.choices),
        required=False,
        default=[TokenScope.READ, TokenScope.WRITE],
        allow_empty=False,
        max_length=len(TokenScope.choices),
        help_text='`read` is always granted; `["read"]` makes a read-only token, which is refused (403 '
        "`insufficient_scope`) on POST, PATCH, PUT and DELETE. Default: read and write.",
    )
    expires_in_days = serializers.IntegerField(
        min_value=1,
        max_value=MAX_LIFETIME_DAYS,
        required=False,
        allow_null=True,
        default=None,
        help_text="The token stops working (401) this many days from now. Omitted or null: it never expires.",
    )


class ApiTokenSerializer(api_fields.ModelSerializer):
    """A token as its owner sees it later: never the secret, never its digest."""

    scopes = serializers.ListField(child=serializers.ChoiceField(choices=TokenScope.choices), source="scope_list")

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "scopes", "created_at", "expires_at", "last_used_at"]
        read_only_fields = fields
        extra_kwargs = {"prefix": {"help_text": "The secret's first characters, to tell your tokens apart."}}


class IssuedTokenSerializer(api_fields.ModelSerializer):
    """A token just issued: the only answer that ever carries the secret."""

    token = serializers.SerializerMethodField(
        help_text="The secret, shown this once: send it as `Authorization: Bearer <token>`."
    )
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=TokenScope.choices), source="scope_list")

    class Meta:
        model = ApiToken
        fields = ["id", "name", "token", "prefix", "scopes", "created_at", "expires_at"]
        read_only_fields = fields

    def get_token(self, token: ApiToken) -> str:
        # The secret exists only in the service's return value; the view hands it over in the context.
        return self.context["secret"]
