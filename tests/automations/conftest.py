"""Rules in the tests are saved through the service, as the admin and the API save them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from accounts.models import Role, User
from accounts.services import user_create
from automations.models import Rule
from automations.services import rule_save
from tests.conftest import PASSWORD
from tests.sla.conftest import office  # noqa: F401  (the Berlin office calendar, for business-hour rules)
from tickets.models import Team


@pytest.fixture
def make_rule(db: None) -> Callable[..., Rule]:
    def make(**fields: Any) -> Rule:
        return rule_save(rule=Rule(**{"name": "Rule", **fields}))

    return make


@pytest.fixture
def dave(db: None) -> User:
    return user_create(email="dave@example.com", password=PASSWORD, name="Dave Agent", role=Role.AGENT)


@pytest.fixture
def erin(db: None) -> User:
    return user_create(email="erin@example.com", password=PASSWORD, name="Erin Agent", role=Role.AGENT)


@pytest.fixture
def support(team: Team, dave: User, erin: User) -> Team:
    """The Support team: bob, dave and erin."""
    team.members.add(dave, erin)
    return team
