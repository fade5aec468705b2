"""`manage.py check --deploy` has nothing to say about a production configuration built from the README's variables."""

from __future__ import annotations

from tests.support.processes import PRODUCTION_ENV, run_manage


def test_deploy_check_reports_no_issues_in_production(tmp_path):
    result = run_manage(["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_check_warns_when_the_https_redirect_is_switched_off(tmp_path):
    # Proves the check above can fail: the same command does complain about a weaker configuration.
    env = {**PRODUCTION_ENV, "SECURE_SSL_REDIRECT": "false"}

    result = run_manage(["check", "--deploy"], env, tmp_path)

    assert "security.W008" in result.stdout + result.stderr
