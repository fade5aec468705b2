"""The database never holds a stored secret in clear: OAuth client secrets and two-factor secrets, read raw."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.socialaccount.models import SocialApp
from cryptography.fernet import Fernet
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import SocialAppSecret
from accounts.services import social_app_secret_set
from tests.conftest import PASSWORD
from tests.support.mfa import code_for

pytestmark = pytest.mark.django_db

KEY = Fernet.generate_key().decode()
CLIENT_SECRET = "gloas-0123456789abcdef-client-secret"


@pytest.fixture(autouse=True)
def _known_key(settings):
    settings.ENCRYPTION_KEYS = [KEY]
    settings.MFA_TOTP_TOLERANCE = 1  # a code made at the end of a 30-second window is still good a moment later


def raw_column(model, column: str, pk: int) -> str:
    """The stored text, read past the ORM (a JSON column comes back as its text)."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT CAST({connection.ops.quote_name(column)} AS TEXT) FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_client_secret_column_holds_a_fernet_token_not_the_secret():
    app = SocialApp.objects.create(provider="gitlab", name="GitLab", client_id="client-id")
    stored = social_app_secret_set(app=app, secret=CLIENT_SECRET)

    raw = raw_column(SocialAppSecret, "secret", stored.pk)

    assert CLIENT_SECRET not in raw
    assert Fernet(KEY).decrypt(raw.encode()).decode() == CLIENT_SECRET
    assert SocialAppSecret.objects.get(pk=stored.pk).secret == CLIENT_SECRET


def test_allauths_own_secret_column_stays_empty():
    app = SocialApp.objects.create(provider="gitlab", name="GitLab", client_id="client-id")
    social_app_secret_set(app=app, secret=CLIENT_SECRET)

    assert raw_column(SocialApp, "secret", app.pk) == ""


def test_totp_secret_is_stored_as_a_fernet_token(alice):
    secret = generate_totp_secret()
    authenticator = TOTP.activate(alice, secret).instance

    raw = raw_column(Authenticator, "data", authenticator.pk)

    assert secret not in raw
    assert Fernet(KEY).decrypt(authenticator.data["secret"].encode()).decode() == secret


def test_recovery_code_seed_is_stored_as_a_fernet_token(alice):
    recovery_codes = RecoveryCodes.activate(alice)
    codes = recovery_codes.generate_codes()
    seed = Fernet(KEY).decrypt(recovery_codes.instance.data["seed"].encode()).decode()

    raw = raw_column(Authenticator, "data", recovery_codes.instance.pk)

    assert seed not in raw
    assert not any(code in raw for code in codes)


def test_signing_in_with_a_code_from_the_encrypted_totp_secret_works(alice):
    secret = generate_totp_secret()
    TOTP.activate(alice, secret)
    client = Client()
    client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})

    response = client.post(reverse("mfa_authenticate"), {"code": code_for(secret)})

    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(alice.pk)


def test_a_recovery_code_from_the_encrypted_seed_is_accepted_once(alice):
    TOTP.activate(alice, generate_totp_secret())
    code = RecoveryCodes.activate(alice).generate_codes()[0]
    authenticator = Authenticator.objects.get(user=alice, type=Authenticator.Type.RECOVERY_CODES)

    assert RecoveryCodes(authenticator).validate_code(code) is True
    assert RecoveryCodes(Authenticator.objects.get(pk=authenticator.pk)).validate_code(code) is False
