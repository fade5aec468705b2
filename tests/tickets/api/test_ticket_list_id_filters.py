"""`requester` and `assignee` take user ids: a fraction, or a number too big for any id, is a 400.

Found by fuzzing the schema: a 30-digit id reached SQLite, which cannot bind it (a 500), and `requester=1.5` was
silently truncated to user 1.
"""

from __future__ import annotations

import pytest

URL = "/api/v1/tickets/"
TOO_BIG = "9" * 30


@pytest.mark.parametrize("query", [{"requester": TOO_BIG}, {"assignee": TOO_BIG}, {"requester": "1.5"}])
def test_an_id_no_database_could_store_is_a_400(api_client_for, bob, ticket, query):
    response = api_client_for(bob).get(URL, query)
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == set(query)


def test_the_largest_id_is_still_a_filter(api_client_for, bob, alice, ticket):
    client = api_client_for(bob)
    assert client.get(URL, {"requester": str(2**63 - 1)}).json()["results"] == []
    assert [row["id"] for row in client.get(URL, {"requester": alice.pk}).json()["results"]] == [ticket.pk]
