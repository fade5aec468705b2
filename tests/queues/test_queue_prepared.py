"""The built-in views whose conditions are the same for everyone at every moment (all open, pending, unassigned)
read their page with a prepared statement on PostgreSQL; a view or filter with a person, a team or a time in it is
planned for its values on each request (helpdesk.sql.prepared_statements)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.urls import reverse

from queues.builtin import BUILTIN_VIEWS
from tests.helpdesk.test_sql import _prepared_statements
from tests.queues.conftest import subjects


def test_only_views_of_fixed_statuses_say_their_values_are_the_same():
    assert {view.key for view in BUILTIN_VIEWS if view.same_values} == {"open", "pending", "unassigned"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL only")
def test_the_open_views_pages_are_prepared_in_any_sort_and_pages_with_other_values_are_not(
    bob, team, desk, client_for, settings
):
    settings.QUEUE_COUNTS_SECONDS = 0  # no page kept (queues/kept.py): each request reads its page
    client = client_for(bob)
    queue = reverse("staff_queue")
    asked = [{}, {"sort": "priority"}, {"view": "mine"}, {"team": team.pk}, {"status": "open"}]
    shown = [subjects(client.get(queue, params)) for params in asked]

    for _ in range(connection.connection.prepare_threshold + 1):
        assert [subjects(client.get(queue, params)) for params in asked] == shown

    pages = [
        statement for statement in _prepared_statements() if 'AS "preview"' in statement and "LIMIT 51" in statement
    ]
    open_statuses = [page for page in pages if re.search(r'"status" IN \(\$\d+, \$\d+, \$\d+\)', page)]
    assert len({page.rsplit("ORDER BY", 1)[1] for page in open_statuses}) == 2  # newest first, and by priority
    assert not any(re.search(r'"status" IN \(\$\d+\)', page) for page in pages)  # one status the agent chose
    assert not any('"assignee_id" = $' in page or '"team_id" = $' in page for page in pages)
