"""manage.py generate_encryption_key: what an operator puts in ENCRYPTION_KEYS."""

from __future__ import annotations

import io

from cryptography.fernet import Fernet
from django.core.management import call_command


def test_generate_encryption_key_prints_a_usable_fernet_key():
    out = io.StringIO()

    call_command("generate_encryption_key", stdout=out)

    key = out.getvalue().strip()
    assert Fernet(key).decrypt(Fernet(key).encrypt(b"x")) == b"x"


def test_every_generated_key_is_new():
    keys = set()
    for _ in range(2):
        out = io.StringIO()
        call_command("generate_encryption_key", stdout=out)
        keys.add(out.getvalue().strip())

    assert len(keys) == 2
