"""ETag on a ticket, and If-Match on PATCH: an agent never silently overwrites a change made since they read it."""

from __future__ import annotations

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from csat.services import survey_rate, survey_request
from sla.models import SlaClock, SlaPolicy, SlaTarget
from sla.services import sla_open_tickets_refresh, sla_sweep
from tickets.models import Priority, Status, Team, TicketEvent
from tickets.services import comment_create, ticket_change_status, ticket_create, ticket_merge


def url(ticket) -> str:
    return f"/api/v1/tickets/{ticket.pk}/"


def etag_of(client, ticket) -> str:
    response = client.get(url(ticket))
    assert response.status_code == 200
    return response["ETag"]


def test_reading_a_ticket_returns_a_strong_etag_that_is_stable(api_client_for, bob, ticket):
    client = api_client_for(bob)
    etag = etag_of(client, ticket)
    assert etag.startswith('"') and etag.endswith('"')
    assert etag_of(client, ticket) == etag


@pytest.mark.parametrize(
    "change", [{"status": "open"}, {"priority": "high"}, {"tags": ["vip"]}, {"category": None}, {"team": None}]
)
def test_any_triage_change_gives_a_new_etag(api_client_for, bob, ticket, change):
    client = api_client_for(bob)
    before = etag_of(client, ticket)
    assert client.patch(url(ticket), change, format="json").status_code == 200
    assert etag_of(client, ticket) != before


def test_a_new_comment_gives_a_new_etag(api_client_for, bob, alice, ticket):
    client = api_client_for(bob)
    before = etag_of(client, ticket)
    comment_create(ticket=ticket, author=alice, body="Any news?")
    assert etag_of(client, ticket) != before


def test_deleting_the_ticket_team_gives_a_new_etag(api_client_for, bob, ticket):
    client = api_client_for(bob)
    before = etag_of(client, ticket)
    Team.objects.filter(pk=ticket.team_id).delete()
    assert etag_of(client, ticket) != before


def test_a_patch_response_carries_the_new_etag(api_client_for, bob, ticket):
    client = api_client_for(bob)
    before = etag_of(client, ticket)
    response = client.patch(url(ticket), {"priority": "high"}, format="json", HTTP_IF_MATCH=before)
    assert response.status_code == 200
    assert response["ETag"] != before
    assert response["ETag"] == etag_of(client, ticket)


def test_a_patch_with_a_stale_etag_is_412_and_changes_nothing(api_client_for, bob, ticket):
    client = api_client_for(bob)
    stale = etag_of(client, ticket)
    client.patch(url(ticket), {"priority": "high"}, format="json")
    events_before = TicketEvent.objects.count()

    response = client.patch(url(ticket), {"status": "open", "priority": "low"}, format="json", HTTP_IF_MATCH=stale)

    assert response.status_code == 412
    error = response.json()["error"]
    assert error["code"] == "precondition_failed" and error["message"]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority_name) == (Status.NEW, "high")
    assert TicketEvent.objects.count() == events_before


@pytest.mark.parametrize("if_match", ['W/"abc"', "garbage", '"abc", "def"'])
def test_an_if_match_that_names_no_current_etag_is_412(api_client_for, bob, ticket, if_match):
    response = api_client_for(bob).patch(url(ticket), {"status": "open"}, format="json", HTTP_IF_MATCH=if_match)
    assert response.status_code == 412


def test_an_if_match_listing_the_current_etag_applies(api_client_for, bob, ticket):
    client = api_client_for(bob)
    if_match = f'"old", {etag_of(client, ticket)}'
    assert client.patch(url(ticket), {"status": "open"}, format="json", HTTP_IF_MATCH=if_match).status_code == 200


def test_if_match_star_and_no_if_match_both_apply(api_client_for, bob, ticket):
    client = api_client_for(bob)
    assert client.patch(url(ticket), {"status": "open"}, format="json", HTTP_IF_MATCH="*").status_code == 200
    assert client.patch(url(ticket), {"status": "pending"}, format="json").status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING


def test_if_none_match_with_the_current_etag_is_304_without_a_body(api_client_for, bob, ticket):
    client = api_client_for(bob)
    etag = etag_of(client, ticket)
    response = client.get(url(ticket), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


def test_if_none_match_with_a_stale_etag_returns_the_ticket(api_client_for, bob, ticket):
    response = api_client_for(bob).get(url(ticket), HTTP_IF_NONE_MATCH='"stale"')
    assert response.status_code == 200
    assert response.json()["id"] == ticket.pk


def test_mallory_gets_404_with_conditional_headers(api_client_for, bob, mallory, ticket):
    etag = etag_of(api_client_for(bob), ticket)
    client = api_client_for(mallory)
    assert client.get(url(ticket), HTTP_IF_NONE_MATCH=etag).status_code == 404
    assert client.patch(url(ticket), {"status": "open"}, format="json", HTTP_IF_MATCH=etag).status_code == 404


def test_rating_the_resolution_gives_the_ticket_a_new_etag(api_client_for, alice, bob, ticket):
    ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED)
    survey = survey_request(ticket_id=ticket.pk)
    client = api_client_for(alice)
    before = client.get(url(ticket))
    assert before.json()["satisfaction"]["rating"] == ""

    survey_rate(survey=survey, rating="good", actor=alice)

    after = client.get(url(ticket), HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and after.json()["satisfaction"]["rating"] == "good"


@pytest.fixture
def first_response_in_an_hour(db) -> SlaTarget:
    policy = SlaPolicy.objects.create(name="Everyone", position=1)
    return SlaTarget.objects.create(
        policy=policy, priority=Priority.NORMAL, first_response_minutes=60, resolution_minutes=600, business_hours=False
    )


def test_clocks_re_timed_by_a_policy_change_give_the_ticket_a_new_etag(
    api_client_for, alice, bob, first_response_in_an_hour
):
    ticket = ticket_create(requester=alice, subject="Printer", description="On fire.")
    client = api_client_for(bob)
    before = client.get(url(ticket))

    SlaTarget.objects.filter(pk=first_response_in_an_hour.pk).update(first_response_minutes=120)
    sla_open_tickets_refresh()

    after = client.get(url(ticket), HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and after.json()["sla"] != before.json()["sla"]


def test_a_clock_running_out_does_not_make_an_agents_edit_conflict(
    api_client_for, alice, bob, first_response_in_an_hour
):
    with time_machine.travel("2026-03-02 09:00Z", tick=False) as traveller:
        ticket = ticket_create(requester=alice, subject="Printer", description="On fire.")
        client = api_client_for(bob)
        etag = etag_of(client, ticket)
        traveller.move_to("2026-03-02 11:00Z")
        sla_sweep()  # records the missed first response
        assert SlaClock.objects.filter(ticket=ticket, breached_at__isnull=False).exists()

        response = client.patch(url(ticket), {"priority": "high"}, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 200


def test_a_requesters_etag_does_not_change_with_the_sla_clocks_she_is_not_shown(
    api_client_for, alice, first_response_in_an_hour
):
    ticket = ticket_create(requester=alice, subject="Printer", description="On fire.")
    client = api_client_for(alice)
    before = client.get(url(ticket))
    assert before.json()["sla"] is None

    SlaTarget.objects.filter(pk=first_response_in_an_hour.pk).update(first_response_minutes=120)
    sla_open_tickets_refresh()

    after = client.get(url(ticket), HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 304 and after["ETag"] == before["ETag"]


def test_a_merge_that_moves_the_opening_files_away_gives_the_merged_ticket_a_new_etag(api_client_for, alice, bob):
    """The opening files (`attachments`) change only when a merge carries them to the other ticket; nothing deletes
    or adds one after the ticket is opened. The merge also writes the source's row, so its ETag moves with them."""
    source = ticket_create(
        requester=alice, subject="Screenshot", files=[SimpleUploadedFile("shot.png", b"png", "image/png")]
    )
    target = ticket_create(requester=alice, subject="Same problem")
    client = api_client_for(bob)
    before = etag_of(client, source)
    assert len(client.get(url(source)).json()["attachments"]) == 1

    ticket_merge(source=source, target=target, actor=bob)

    response = client.get(url(source), HTTP_IF_NONE_MATCH=before)
    assert response.status_code == 200
    assert response.json()["attachments"] == []
