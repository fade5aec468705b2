"""URLs for the API tests; the Bug report form they submit is tests.forms_builder.examples.bug_report_form."""

from __future__ import annotations

from forms_builder.models import Form
from tests.forms_builder.examples import bug_report_form

# Re-exported for tests/helpdesk/test_schemathesis.py, which imports it from here.
__all__ = ["URL", "bug_report_form", "submissions_url"]

URL = "/api/v1/forms/"


def submissions_url(form: Form) -> str:
    return f"{URL}{form.slug}/submissions/"
