"""Tickets with text of every kind a search reads, indexed the way the worker indexes them: from their events."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.services import user_create
from forms_builder.services import submission_create
from tests.forms_builder.examples import bug_report_form
from tickets.models import Category, Ticket
from tickets.services import comment_create, ticket_create

Worker = Callable[[], AbstractContextManager[object]]


@pytest.fixture
def worker(django_capture_on_commit_callbacks) -> Worker:
    """`with worker():` — what the block commits is handed to the worker (tasks run in-process), as in production."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def make_dana() -> User:
    return user_create(email="dana.okafor@northwind.test", name="Dana Okafor")


@pytest.fixture
def dana(db: None) -> User:
    return make_dana()


@pytest.fixture
def world(alice, mallory, bob, carol, dana, category, worker) -> SimpleNamespace:
    return search_world(alice, mallory, bob, carol, dana, category, worker)


def search_world(
    alice: User, mallory: User, bob: User, carol: User, dana: User, category: Category, worker: Worker
) -> SimpleNamespace:
    """Five tickets, oldest first; the newest is the last one made."""
    with worker():
        printer = ticket_create(
            requester=alice,
            subject="Printer jams on the third floor",
            description="The office printer jams whenever I print double-sided pages.",
        )
        comment_create(ticket=printer, author=bob, body="Have you tried the manual feed tray?", internal=False)
        comment_create(ticket=printer, author=bob, body="Supplier wants procurement approval first.", internal=True)
        invoice = ticket_create(requester=alice, subject="Invoice shows the wrong address", description="Street typo.")
        laptop = ticket_create(
            requester=mallory,
            subject="Laptop battery swelling",
            description="The case bulges near the trackpad; the dock reports vpn-drops.",
        )
        vpn = ticket_create(requester=dana, subject="VPN drops every hour", description="Reconnects after a minute.")
        form = bug_report_form(category=category, admin=carol)
        submission, _ = submission_create(
            form=form,
            answers={"product": "desktop", "version": "build-7731", "summary": "Crashes on start"},
            requester=alice,
            actor=alice,
        )
    crash = submission.ticket
    # Distinct creation times, so "newest first" has one answer.
    now = timezone.now()
    for age, ticket in enumerate([crash, vpn, laptop, invoice, printer]):
        Ticket.objects.filter(pk=ticket.pk).update(created_at=now - timedelta(hours=age))
    return SimpleNamespace(printer=printer, invoice=invoice, laptop=laptop, vpn=vpn, crash=crash)
