"""manage.py rotate_encryption_keys: every stored secret moves to the newest key, or, if one cannot, none does."""

from __future__ import annotations

import io
import time

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from allauth.socialaccount.models import SocialApp
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accounts.models import SocialAppSecret
from accounts.services import social_app_secret_set

pytestmark = pytest.mark.django_db

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
LOST_KEY = Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def _generous_totp_window(settings):
    settings.MFA_TOTP_TOLERANCE = 1  # a code made at the end of a 30-second window is still good a moment later


def rotate(*args: str) -> str:
    out = io.StringIO()
    call_command("rotate_encryption_keys", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def raw_secret(stored: SocialAppSecret) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM accounts_socialappsecret WHERE id = %s", [stored.pk])
        return cursor.fetchone()[0]


def raw_authenticator_data(user) -> dict[str, dict]:
    return {kind: data for kind, data in Authenticator.objects.filter(user=user).values_list("type", "data")}


def gitlab_secret(secret: str, name: str = "GitLab") -> SocialAppSecret:
    app = SocialApp.objects.create(provider="gitlab", name=name, client_id=f"{name}-id")
    return social_app_secret_set(app=app, secret=secret)


def totp_code_is_accepted(user, secret: str) -> bool:
    code = format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))
    return TOTP(Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)).validate_code(code)


@pytest.fixture
def secrets_under_old_key(settings, alice):
    """A client secret and alice's TOTP secret and recovery codes, all written while OLD_KEY was the only key."""
    settings.ENCRYPTION_KEYS = [OLD_KEY]
    stored = gitlab_secret("client-secret")
    totp_secret = generate_totp_secret()
    TOTP.activate(alice, totp_secret)
    codes = RecoveryCodes.activate(alice).generate_codes()
    settings.ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    return stored, totp_secret, codes


def test_after_rotation_everything_opens_with_the_new_key_alone(settings, alice, secrets_under_old_key):
    stored, totp_secret, codes = secrets_under_old_key

    rotate()

    settings.ENCRYPTION_KEYS = [NEW_KEY]  # the old key is removed
    assert SocialAppSecret.objects.get(pk=stored.pk).secret == "client-secret"
    assert totp_code_is_accepted(alice, totp_secret)
    recovery = RecoveryCodes(Authenticator.objects.get(user=alice, type=Authenticator.Type.RECOVERY_CODES))
    assert recovery.generate_codes() == codes


def test_rotated_values_are_fernet_tokens_under_the_new_key_in_the_database(alice, secrets_under_old_key):
    stored, totp_secret, _ = secrets_under_old_key

    rotate()

    assert Fernet(NEW_KEY).decrypt(raw_secret(stored).encode()) == b"client-secret"
    data = raw_authenticator_data(alice)
    assert Fernet(NEW_KEY).decrypt(data["totp"]["secret"].encode()).decode() == totp_secret
    Fernet(NEW_KEY).decrypt(data["recovery_codes"]["seed"].encode())  # raises if still under the old key
    assert data["recovery_codes"]["used_mask"] == 0  # the rest of the data is left alone


def test_counts_are_printed_per_model(secrets_under_old_key):
    output = rotate()

    assert "accounts.SocialAppSecret.secret: 1 re-encrypted, 0 already under the newest key" in output
    assert "mfa.Authenticator.data (TOTP secrets, recovery-code seeds): 2 re-encrypted, 0 already" in output


def test_a_second_run_changes_nothing(alice, secrets_under_old_key):
    stored, _, _ = secrets_under_old_key
    rotate()
    after_first = (raw_secret(stored), raw_authenticator_data(alice))

    output = rotate()

    assert (raw_secret(stored), raw_authenticator_data(alice)) == after_first
    assert "accounts.SocialAppSecret.secret: 0 re-encrypted, 1 already under the newest key" in output


def test_rows_are_read_in_batches_without_missing_any(settings):
    settings.ENCRYPTION_KEYS = [OLD_KEY]
    stored = [gitlab_secret(f"secret-{n}", name=f"GitLab {n}") for n in range(3)]
    settings.ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]

    output = rotate("--batch-size", "2")

    assert "accounts.SocialAppSecret.secret: 3 re-encrypted" in output
    assert all(Fernet(NEW_KEY).decrypt(raw_secret(row).encode()) for row in stored)


def test_a_value_no_configured_key_opens_stops_the_command_and_changes_nothing(settings, alice, secrets_under_old_key):
    stored, _, _ = secrets_under_old_key
    settings.ENCRYPTION_KEYS = [LOST_KEY]
    orphan = gitlab_secret("orphan-secret", name="Orphan")
    settings.ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    before = (raw_secret(stored), raw_secret(orphan), raw_authenticator_data(alice))

    with pytest.raises(CommandError) as refused:
        rotate()

    assert refused.value.returncode == 1  # manage.py exits with it
    assert f"accounts.SocialAppSecret.secret pk={orphan.pk}" in str(refused.value)
    assert f"pk={stored.pk}" not in str(refused.value)
    assert "nothing was changed" in str(refused.value)
    # Values that could have been rotated were rolled back with the rest.
    assert (raw_secret(stored), raw_secret(orphan), raw_authenticator_data(alice)) == before


def test_an_unreadable_two_factor_secret_is_named_by_row_and_key(settings, alice):
    settings.ENCRYPTION_KEYS = [LOST_KEY]
    authenticator = TOTP.activate(alice, generate_totp_secret()).instance
    settings.ENCRYPTION_KEYS = [NEW_KEY]

    with pytest.raises(CommandError, match=rf"mfa.Authenticator pk={authenticator.pk} \(totp\) data.secret"):
        rotate()


def test_check_reports_pending_values_without_writing_and_fails(alice, secrets_under_old_key):
    stored, _, _ = secrets_under_old_key
    before = (raw_secret(stored), raw_authenticator_data(alice))

    with pytest.raises(CommandError, match="3 value"):
        rotate("--check")

    assert (raw_secret(stored), raw_authenticator_data(alice)) == before


def test_check_passes_once_everything_is_under_the_newest_key(secrets_under_old_key):
    rotate()

    output = rotate("--check")

    assert "accounts.SocialAppSecret.secret: 0 to re-encrypt, 1 already under the newest key" in output


def test_a_batch_size_below_one_is_refused(secrets_under_old_key):
    stored, _, _ = secrets_under_old_key
    before = raw_secret(stored)

    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        rotate("--batch-size", "0")

    assert raw_secret(stored) == before


def test_recovery_codes_imported_from_another_library_are_rotated_too(settings, alice):
    settings.ENCRYPTION_KEYS = [OLD_KEY]
    old = Fernet(OLD_KEY)
    Authenticator.objects.create(
        user=alice,
        type=Authenticator.Type.RECOVERY_CODES,
        data={"migrated_codes": [old.encrypt(b"11111111").decode(), old.encrypt(b"22222222").decode()]},
    )
    settings.ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]

    rotate()

    settings.ENCRYPTION_KEYS = [NEW_KEY]
    recovery = RecoveryCodes(Authenticator.objects.get(user=alice, type=Authenticator.Type.RECOVERY_CODES))
    assert recovery.get_unused_codes() == ["11111111", "22222222"]
