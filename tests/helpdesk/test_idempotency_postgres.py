"""Duplicates of one create sent at the same moment, on PostgreSQL: exactly one runs, the others are told so."""

from __future__ import annotations

from tests.support.threads import parallel_on_postgresql, run_together
from tickets.models import Ticket

pytestmark = parallel_on_postgresql("parallel connections")

DUPLICATES = 6


def test_simultaneous_duplicates_create_one_ticket(api_client_for, alice):
    clients = [api_client_for(alice) for _ in range(DUPLICATES)]

    def send(client) -> tuple[int, bool]:
        response = client.post(
            "/api/v1/tickets/", {"subject": "Printer on fire"}, format="json", HTTP_IDEMPOTENCY_KEY="dup-1"
        )
        return response.status_code, response.has_header("Idempotent-Replayed")

    outcomes = run_together([lambda client=client: send(client) for client in clients])

    assert Ticket.objects.filter(requester=alice).count() == 1
    assert outcomes.count((201, False)) == 1  # the one that ran
    assert set(outcomes) <= {(201, False), (201, True), (409, False)}  # the others: replayed, or told to wait
