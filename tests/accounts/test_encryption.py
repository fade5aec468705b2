"""accounts.encryption: Fernet under the keys in ENCRYPTION_KEYS, newest first, read afresh on every call."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from accounts import encryption

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def test_a_value_comes_back_as_it_went_in(settings):
    settings.ENCRYPTION_KEYS = [NEW_KEY]

    assert encryption.decrypt(encryption.encrypt("client-secret-ü")) == "client-secret-ü"


def test_the_same_value_is_never_encrypted_to_the_same_token(settings):
    settings.ENCRYPTION_KEYS = [NEW_KEY]

    first, second = encryption.encrypt("same"), encryption.encrypt("same")

    assert first != second
    assert encryption.is_encrypted(first) and encryption.is_encrypted(second)


def test_values_are_encrypted_under_the_newest_key(settings):
    settings.ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]

    token = encryption.encrypt("secret")

    assert Fernet(NEW_KEY).decrypt(token.encode()) == b"secret"
    assert encryption.is_under_newest_key(token)


def test_a_value_under_an_older_listed_key_still_decrypts(settings):
    settings.ENCRYPTION_KEYS = [OLD_KEY]
    token = encryption.encrypt("secret")
    settings.ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]

    assert encryption.decrypt(token) == "secret"
    assert not encryption.is_under_newest_key(token)


def test_reencrypt_moves_a_value_to_the_newest_key(settings):
    settings.ENCRYPTION_KEYS = [OLD_KEY]
    token = encryption.encrypt("secret")
    settings.ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]

    rotated = encryption.reencrypt(token)

    assert Fernet(NEW_KEY).decrypt(rotated.encode()) == b"secret"


def test_a_value_no_configured_key_opens_is_refused_with_a_message_naming_it(settings):
    settings.ENCRYPTION_KEYS = [OLD_KEY]
    token = encryption.encrypt("secret")
    settings.ENCRYPTION_KEYS = [NEW_KEY]  # the old key was dropped too early

    with pytest.raises(encryption.UnreadableSecret, match="No key in ENCRYPTION_KEYS opens the webhook secret"):
        encryption.decrypt(token, what="the webhook secret")


def test_a_tampered_token_is_refused(settings):
    settings.ENCRYPTION_KEYS = [NEW_KEY]
    token = encryption.encrypt("secret")
    tampered = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")

    with pytest.raises(encryption.InvalidToken):
        encryption.decrypt(tampered)


def test_without_keys_development_uses_a_key_derived_from_the_secret_key(settings):
    settings.ENCRYPTION_KEYS = []
    settings.SECRET_KEY = "a-development-secret-key-that-is-long-enough-for-django-checks"
    token = encryption.encrypt("secret")

    settings.SECRET_KEY = "another-secret-key-so-the-derived-key-is-another-one-as-well"

    with pytest.raises(encryption.UnreadableSecret):
        encryption.decrypt(token)


def test_a_malformed_key_is_a_configuration_error(settings):
    settings.ENCRYPTION_KEYS = ["not-a-fernet-key"]

    with pytest.raises(ImproperlyConfigured, match="ENCRYPTION_KEYS"):
        encryption.encrypt("secret")
