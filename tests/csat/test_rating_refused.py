"""A rating the survey refuses (its few days are over) is shown back with the refusal and what was typed."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts.models import User
from csat.models import SatisfactionSurvey
from tickets.models import Status
from tickets.services import ticket_change_status

RESOLVED = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
PAST_THE_PERIOD = datetime(2026, 5, 8, 10, 0, tzinfo=UTC)  # past CSAT_CHANGE_DAYS (3)
COMMENT = "The printer works again, but it took a week & two calls."


def _resolve(ticket, bob, capture):
    with capture(execute=True):
        ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED)


def _submit_link(client) -> str:
    survey_mail = next(m for m in mail.outbox if "How did we do?" in m.subject)
    good = re.search(r"^Good:\s+http://[^/]+(\S+)$", survey_mail.body, flags=re.MULTILINE).group(1)
    page = client.get(good)
    return re.search(rb'action="([^"]+)"', page.content).group(1).decode()


def _typed_comment_is_shown(response) -> bool:
    return (
        re.search(
            r"<textarea[^>]*>\s*" + re.escape("The printer works again, but it took a week &amp; two calls."),
            response.content.decode(),
        )
        is not None
    )


PATHS = ["ticket page", "mailed link"]


def _rate_late(path, *, first, ticket, alice, bob, client_for, client, capture):
    """Resolve the ticket, rate it `first` (or not) in time, then post a bad rating with a comment too late: from
    the ticket page signed in as the requester, or through the form the survey mail's link opens."""
    with time_machine.travel(RESOLVED, tick=False) as traveller:
        _resolve(ticket, bob, capture)
        if path == "ticket page":
            client, action = client_for(alice), reverse("ticket_rate", args=[ticket.pk])
        else:
            action = _submit_link(client)
        if first:
            client.post(action, {"rating": first})
        traveller.move_to(PAST_THE_PERIOD)
        return client.post(action, {"rating": "bad", "comment": COMMENT})


@pytest.mark.parametrize("path", PATHS)
def test_a_late_rating_is_refused_on_the_page_with_the_comment_typed(
    path, ticket, alice, bob, client_for, client, django_capture_on_commit_callbacks
):
    response = _rate_late(path, first=None, ticket=ticket, alice=alice, bob=bob, client_for=client_for,
                          client=client, capture=django_capture_on_commit_callbacks)  # fmt: skip

    assert response.status_code == 400
    assert "This ticket can no longer be rated" in response.content.decode()
    assert _typed_comment_is_shown(response)
    assert SatisfactionSurvey.objects.get().rating == ""


@pytest.mark.parametrize("path", PATHS)
def test_changing_a_rating_too_late_says_it_was_already_rated(
    path, ticket, alice, bob, client_for, client, django_capture_on_commit_callbacks
):
    response = _rate_late(path, first="good", ticket=ticket, alice=alice, bob=bob, client_for=client_for,
                          client=client, capture=django_capture_on_commit_callbacks)  # fmt: skip

    assert response.status_code == 400
    assert "You already rated this ticket good" in response.content.decode()
    assert _typed_comment_is_shown(response)
    assert SatisfactionSurvey.objects.get().rating == "good"


@pytest.mark.parametrize("path", PATHS)
def test_the_last_day_to_rate_is_told_in_the_requesters_zone(
    path, ticket, alice, bob, client_for, client, django_capture_on_commit_callbacks
):
    """Open until 4 May 10:00 UTC + 3 days: 8 May, 00:00 in Kiritimati (UTC+14), where Alice is; also when she
    follows the mail's link signed out (a page in the site's zone)."""
    User.objects.filter(pk=alice.pk).update(time_zone="Pacific/Kiritimati")

    response = _rate_late(path, first=None, ticket=ticket, alice=alice, bob=bob, client_for=client_for,
                          client=client, capture=django_capture_on_commit_callbacks)  # fmt: skip

    assert "Ratings could be given until 08 May." in response.content.decode()
