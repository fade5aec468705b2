from __future__ import annotations

import pytest

from macros.models import Macro, MacroVisibility
from tickets.models import Priority, Status


@pytest.fixture
def macro(bob, team) -> Macro:
    """Bob's macro shared with everyone: a reply with placeholders that also sets pending, high, a tag and assigns."""
    return Macro.objects.create(
        name="Need more info",
        body="Hi {{ requester.first_name }}, about #{{ ticket.id }}: could you send a screenshot? — {{ agent.name }}",
        owner=bob,
        visibility=MacroVisibility.EVERYONE,
        set_status=Status.PENDING,
        set_priority=Priority.HIGH,
        add_tags="waiting, info",
        assign_to_me=True,
    )
