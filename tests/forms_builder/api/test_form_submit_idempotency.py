"""`Idempotency-Key` on a submission: a retry replays the first ticket; another user's key is their own."""

from __future__ import annotations

from tests.forms_builder.api.support import submissions_url
from tickets.models import Ticket

BODY = {"answers": {"product": "web", "summary": "Login button does nothing"}}
KEY = {"HTTP_IDEMPOTENCY_KEY": "0b6f7a52-bug-report"}


def test_a_retry_with_the_same_key_opens_one_ticket(api_client_for, alice, bug_report):
    client = api_client_for(alice)
    first = client.post(submissions_url(bug_report), BODY, format="json", **KEY)
    again = client.post(submissions_url(bug_report), BODY, format="json", **KEY)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Ticket.objects.count() == 1


def test_mallory_reusing_alices_key_gets_her_own_ticket_not_alices(api_client_for, alice, mallory, bug_report):
    alices = api_client_for(alice).post(submissions_url(bug_report), BODY, format="json", **KEY)
    mallorys = api_client_for(mallory).post(submissions_url(bug_report), BODY, format="json", **KEY)
    assert mallorys.status_code == 201
    assert "Idempotent-Replayed" not in mallorys
    assert mallorys.json()["id"] != alices.json()["id"]
    assert mallorys.json()["requester"] == mallory.pk
