"""EncryptedTextField in queries: comparisons cannot work on randomly-encrypted values, so they are refused."""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialApp
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError

from accounts import encryption
from accounts.models import SocialAppSecret
from accounts.services import social_app_secret_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored_secret() -> SocialAppSecret:
    app = SocialApp.objects.create(provider="gitlab", name="GitLab", client_id="client-id")
    return social_app_secret_set(app=app, secret="client-secret")


@pytest.mark.parametrize("lookup", ["secret", "secret__iexact", "secret__contains", "secret__startswith"])
def test_filtering_on_an_encrypted_value_is_refused_rather_than_matching_nothing(stored_secret, lookup):
    with pytest.raises(FieldError, match=r"accounts\.SocialAppSecret\.secret is encrypted"):
        list(SocialAppSecret.objects.filter(**{lookup: "client-secret"}))


def test_whether_a_secret_is_set_can_still_be_asked(stored_secret):
    assert list(SocialAppSecret.objects.filter(secret__isnull=False)) == [stored_secret]


def test_reading_a_value_no_key_opens_names_the_model_and_field(settings, stored_secret):
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # the key the value was written with is gone

    with pytest.raises(encryption.UnreadableSecret, match=r"opens accounts\.SocialAppSecret\.secret"):
        SocialAppSecret.objects.get(pk=stored_secret.pk)
