from __future__ import annotations

import pytest

from accounts.models import User
from forms_builder.models import Form
from tests.forms_builder.examples import bug_report_form
from tickets.models import Category


@pytest.fixture
def bug_report(category: Category, carol: User) -> Form:
    return bug_report_form(category=category, admin=carol)
