"""A private link opened without signing in tells times in the zone of the person it was mailed to, the ticket's
requester. The first link, shown to whoever filled in the public form, keeps the site's zone: they may have typed
someone else's address, and that account's zone is not theirs to see. Signed-in visitors keep their own zone."""

from __future__ import annotations

import importlib
import re
from datetime import UTC, datetime

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from accounts.models import User
from forms_builder.models import Submission
from tests.forms_builder.examples import bug_report_form
from tests.forms_builder.pages_support import answers, fill_url
from tests.support.html import elements
from tickets.models import Comment, Ticket
from tickets.services import comment_create

# 12:00 UTC is 17:30 in Kolkata (+05:30 all year), 13:00 in Berlin and 07:00 in New York in early March.
NOON_UTC = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

upgrade = importlib.import_module("forms_builder.migrations.0004_submission_link_mailed")


@pytest.fixture
def public_form(category, carol):
    return bug_report_form(category=category, admin=carol, public=True)


@pytest.fixture(autouse=True)
def _zones(settings, alice, bob):
    settings.TIME_ZONE = "Europe/Berlin"
    User.objects.filter(pk=alice.pk).update(time_zone="Asia/Kolkata")
    User.objects.filter(pk=bob.pk).update(time_zone="America/New_York")


def filed_as_guest_with_a_reply_at_noon_utc(form, email: str, bob) -> tuple[Ticket, str]:
    data = {**answers(product="web", summary="Where is my refund"), "requester-email": email}
    response = Client().post(fill_url(form), data)
    path = re.search(r'href="https?://[^/"]+(/forms/ticket/[^/"]+/)"', response.content.decode()).group(1)
    ticket = Ticket.objects.get(subject__contains="refund")
    comment = comment_create(ticket=ticket, author=bob, body="We refunded the second charge.")
    Comment.objects.filter(pk=comment.pk).update(created_at=NOON_UTC)
    return ticket, path


def mailed_link(ticket: Ticket, client_for, bob, mailoutbox, capture) -> str:
    mailoutbox.clear()
    with capture(execute=True):  # the worker's part: the mail with the new link
        client_for(bob).post(reverse("staff_private_link_reissue", args=[ticket.pk]))
    [message] = mailoutbox
    return re.search(r"http://[^/\s]+(/forms/ticket/[^/\s]+/)", message.body).group(1)


def shown_times(page: str) -> list[str]:
    return [attrs["datetime"] or "" for tag, attrs in elements(page) if tag == "time" and "datetime" in attrs]


def test_a_mailed_link_opened_signed_out_shows_times_in_the_requesters_zone(
    public_form, alice, bob, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    ticket, _ = filed_as_guest_with_a_reply_at_noon_utc(public_form, alice.email, bob)
    path = mailed_link(ticket, client_for, bob, mailoutbox, django_capture_on_commit_callbacks)

    page = Client().get(path).content.decode()

    assert "2026-03-02T17:30:00+05:30" in shown_times(page)


def test_the_link_shown_after_filing_the_form_keeps_the_sites_zone(public_form, alice, bob):
    _, path = filed_as_guest_with_a_reply_at_noon_utc(public_form, alice.email, bob)

    page = Client().get(path).content.decode()

    assert "2026-03-02T13:00:00+01:00" in shown_times(page)


def test_a_signed_in_visitor_keeps_their_own_zone_on_a_mailed_link(
    public_form, alice, bob, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    ticket, _ = filed_as_guest_with_a_reply_at_noon_utc(public_form, alice.email, bob)
    path = mailed_link(ticket, client_for, bob, mailoutbox, django_capture_on_commit_callbacks)

    page = client_for(bob).get(path).content.decode()

    assert "2026-03-02T07:00:00-05:00" in shown_times(page)


def test_a_link_mailed_before_the_upgrade_shows_the_requesters_zone_too(
    public_form, alice, bob, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    ticket, _ = filed_as_guest_with_a_reply_at_noon_utc(public_form, alice.email, bob)
    path = mailed_link(ticket, client_for, bob, mailoutbox, django_capture_on_commit_callbacks)
    Submission.objects.update(link_mailed=False)  # as an install had it before forms_builder migration 0004

    upgrade.mark_links_mailed_already(apps, None)

    assert "2026-03-02T17:30:00+05:30" in shown_times(Client().get(path).content.decode())


def test_the_upgrade_leaves_a_link_shown_after_filing_the_form_in_the_sites_zone(public_form, alice, bob):
    _, path = filed_as_guest_with_a_reply_at_noon_utc(public_form, alice.email, bob)

    upgrade.mark_links_mailed_already(apps, None)

    assert "2026-03-02T13:00:00+01:00" in shown_times(Client().get(path).content.decode())
