"""Satisfaction: asked on resolution, one rating per resolution, changeable for a few days, seen by staff."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import time_machine
from django.core import mail
from django.urls import reverse

from csat.models import SatisfactionSurvey
from tickets.models import Status
from tickets.services import comment_create, ticket_change_status


def _resolve(ticket, bob, capture):
    with capture(execute=True):
        ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED)


def _links(message) -> dict[str, str]:
    return dict(re.findall(r"^(Good|Bad):\s+http://[^/]+(\S+)$", message.body, flags=re.MULTILINE))


def test_resolution_mails_one_click_links_that_a_prefetcher_cannot_vote_with(
    ticket, bob, client, django_capture_on_commit_callbacks
):
    _resolve(ticket, bob, django_capture_on_commit_callbacks)
    survey_mail = next(m for m in mail.outbox if "How did we do?" in m.subject)
    links = _links(survey_mail)
    page = client.get(links["Bad"])  # what a mail scanner does
    assert page.status_code == 200 and re.search(rb'value="bad"[^>]*checked', page.content)
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    assert survey.rating == ""

    action = re.search(rb'action="([^"]+)"', page.content).group(1).decode()
    done = client.post(action, {"rating": "bad", "comment": "Took long."})
    assert done.status_code == 200
    survey.refresh_from_db()
    assert (survey.rating, survey.comment) == ("bad", "Took long.")


def test_one_rating_per_resolution_changeable_for_a_few_days_then_fixed(
    ticket, alice, bob, client_for, django_capture_on_commit_callbacks
):
    with time_machine.travel(datetime(2026, 5, 4, 10, 0, tzinfo=UTC), tick=False) as traveller:
        _resolve(ticket, bob, django_capture_on_commit_callbacks)
        client = client_for(alice)
        url = reverse("ticket_rate", args=[ticket.pk])
        assert b"How did we do?" in client.get(reverse("ticket_detail", args=[ticket.pk])).content
        client.post(url, {"rating": "good"})
        traveller.move_to(datetime(2026, 5, 6, 10, 0, tzinfo=UTC))
        client.post(url, {"rating": "bad", "comment": "Broke again."})
        assert SatisfactionSurvey.objects.get().rating == "bad"
        traveller.move_to(datetime(2026, 5, 8, 10, 0, tzinfo=UTC))  # past CSAT_CHANGE_DAYS (3)
        client.post(url, {"rating": "good"})
        assert SatisfactionSurvey.objects.get().rating == "bad"

        # Reopened and resolved again: a new resolution, a new survey, rated on its own.
        with django_capture_on_commit_callbacks(execute=True):
            comment_create(ticket=ticket, author=alice, body="It is broken again.")
        _resolve(ticket, bob, django_capture_on_commit_callbacks)
        client.post(url, {"rating": "good"})
    assert list(SatisfactionSurvey.objects.order_by("resolved_at").values_list("rating", flat=True)) == ["bad", "good"]


def test_staff_see_the_rating_on_the_ticket_the_queue_and_in_the_api(
    ticket, alice, bob, client_for, api_client_for, django_capture_on_commit_callbacks
):
    _resolve(ticket, bob, django_capture_on_commit_callbacks)
    client_for(alice).post(reverse("ticket_rate", args=[ticket.pk]), {"rating": "good", "comment": "Thanks!"})
    staff = client_for(bob)
    assert b"Rated good" in staff.get(reverse("staff_ticket_detail", args=[ticket.pk])).content
    assert b"Rated good" in staff.get(reverse("staff_queue"), {"view": "solved"}).content
    body = api_client_for(bob).get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert body["satisfaction"]["rating"] == "good" and body["satisfaction"]["comment"] == "Thanks!"


def test_mallory_cannot_rate_alices_ticket_nor_forge_a_link(
    ticket, bob, mallory, client, client_for, django_capture_on_commit_callbacks
):
    _resolve(ticket, bob, django_capture_on_commit_callbacks)
    assert client_for(mallory).post(reverse("ticket_rate", args=[ticket.pk]), {"rating": "bad"}).status_code == 404
    assert client.get(reverse("csat_confirm", args=["1:forged", "bad"])).status_code == 404
    assert client.post(reverse("csat_submit", args=["1:forged"]), {"rating": "bad"}).status_code == 404
    assert SatisfactionSurvey.objects.get().rating == ""


def test_a_rating_sent_without_a_choice_comes_back_with_the_comment_typed(
    ticket, alice, bob, client_for, django_capture_on_commit_callbacks
):
    _resolve(ticket, bob, django_capture_on_commit_callbacks)
    comment = "The agent was quick, but the fix broke my printer settings."

    response = client_for(alice).post(reverse("ticket_rate", args=[ticket.pk]), {"comment": comment})

    assert response.status_code == 400 and comment in response.content.decode()
    assert SatisfactionSurvey.objects.get().rating == ""


def test_a_comment_the_browser_let_through_is_not_refused_for_its_line_breaks(
    ticket, alice, bob, client_for, django_capture_on_commit_callbacks
):
    # The browser counts a line break as one character against maxlength and sends it as CRLF (two).
    _resolve(ticket, bob, django_capture_on_commit_callbacks)
    client = client_for(alice)
    page = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    maxlength = int(re.search(r'<textarea name="comment"[^>]*maxlength="(\d+)"', page).group(1))
    lines = ["x" * 99] * (maxlength // 100)
    comment = "\n".join(lines).ljust(maxlength, "y")

    response = client.post(
        reverse("ticket_rate", args=[ticket.pk]), {"rating": "good", "comment": comment.replace("\n", "\r\n")}
    )

    assert response.status_code == 302
    assert SatisfactionSurvey.objects.get().comment == comment
