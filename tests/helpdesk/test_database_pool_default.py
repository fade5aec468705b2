"""Production on PostgreSQL pools its connections by default; development and SQLite open one per request."""

from __future__ import annotations

import pytest

from tests.support.processes import PRODUCTION_ENV, run_django

PRODUCTION = PRODUCTION_ENV
POSTGRES = {"DATABASE_URL": "postgres://u@db:5432/hd"}
SHOW = (
    "from django.conf import settings as s; d = s.DATABASES['default'];"
    "print(s.DATABASE_POOL, 'pool' in d['OPTIONS'], d['CONN_MAX_AGE'])"
)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({**PRODUCTION, **POSTGRES}, ["True", "True", "0"]),
        ({**PRODUCTION, **POSTGRES, "DATABASE_POOL": "false"}, ["False", "False", "0"]),
        ({**PRODUCTION, **POSTGRES, "DATABASE_POOL": "false", "CONN_MAX_AGE": "60"}, ["False", "False", "60"]),
        (POSTGRES, ["False", "False", "0"]),
        (PRODUCTION, ["False", "False", "0"]),
    ],
    ids=["production-postgres", "opted-out", "opted-out-persistent", "development", "production-sqlite"],
)
def test_connections_are_pooled_by_default_only_in_production_on_postgresql(env, expected, tmp_path):
    result = run_django(SHOW, env, tmp_path)
    assert result.stdout.split() == expected, result.stderr
