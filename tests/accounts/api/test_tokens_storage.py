"""Only a SHA-256 digest of a token is stored: the database never holds a usable secret."""

from __future__ import annotations

import hashlib

from django.db import connection

from accounts.services import api_token_issue


def test_the_database_row_holds_a_digest_and_a_prefix_but_not_the_secret(alice):
    token, secret = api_token_issue(user=alice, name="laptop")

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken WHERE id = %s", [token.pk])
        row = cursor.fetchone()

    assert secret.startswith("hd_")
    assert all(secret not in str(value) for value in row)
    assert hashlib.sha256(secret.encode()).hexdigest() in row
    assert secret[:10] in row
