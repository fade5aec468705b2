"""A race between a ticket's write and an admin's deletion of an SLA calendar or policy: one side paused before its
commit until the other waits for a lock (tests.support.threads)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Model
from django.http import HttpResponse
from django.urls import reverse

from sla.services import sla_clocks_update
from tests.support.servers import wait_until
from tests.support.threads import run_together, someone_waits_for_a_lock


def edit_and_deletion_together(
    monkeypatch: pytest.MonkeyPatch,
    *,
    paused: str,
    edit: Callable[[], HttpResponse],
    deletion: Callable[[], HttpResponse],
) -> tuple[HttpResponse, HttpResponse]:
    """Run a ticket's edit and an admin's deletion together: the `paused` side ("edit" or "deletion") goes first and
    stops before its commit until the other waits for a lock. Their responses: the edit's, then the deletion's."""
    holding, done = threading.Event(), threading.Event()
    pause = _edit_pausing_before_its_commit if paused == "edit" else _deletion_pausing_before_its_commit
    pause(monkeypatch, holding=holding, done=done)
    first, second = (edit, deletion) if paused == "edit" else (deletion, edit)

    def second_once_the_first_holds() -> HttpResponse:
        assert holding.wait(timeout=10)
        try:
            return second()
        finally:
            done.set()

    responses = run_together([first, second_once_the_first_holds])
    return responses if paused == "edit" else responses[::-1]


def _edit_pausing_before_its_commit(
    monkeypatch: pytest.MonkeyPatch, *, holding: threading.Event, done: threading.Event
) -> None:
    """Make the edit stop once its clocks are written (the ticket and its clocks locked, its commit still to come),
    set `holding`, and go on once the deletion waits for a lock (or, if it waited for none, has finished: `done`)."""
    from tickets.services import triage

    def clocks_update_pausing(**kwargs: object) -> None:
        sla_clocks_update(**kwargs)  # type: ignore[arg-type]
        holding.set()
        wait_until(lambda: done.is_set() or someone_waits_for_a_lock(), timeout=10, what="the deletion waiting")

    monkeypatch.setattr(triage, "sla_clocks_update", clocks_update_pausing)


def _deletion_pausing_before_its_commit(
    monkeypatch: pytest.MonkeyPatch, *, holding: threading.Event, done: threading.Event
) -> None:
    """Make the admin's deletion stop once the row is deleted (its commit still to come), set `holding`, and go
    on once the edit waits for a lock (or, if it waited for none, has finished: `done`)."""
    from sla import admin as sla_admin

    refresh_request = sla_admin.sla_open_tickets_refresh_request

    def refresh_request_pausing() -> object:
        request = refresh_request()
        holding.set()
        wait_until(lambda: done.is_set() or someone_waits_for_a_lock(), timeout=10, what="the edit waiting")
        return request

    monkeypatch.setattr(sla_admin, "sla_open_tickets_refresh_request", refresh_request_pausing)


def admin_deletes(admin: object, row: Model, deleted_by: str) -> HttpResponse:
    """`admin` deletes `row` in the Django admin: from its delete page, or with the list's "delete selected"."""
    admin_url = f"admin:{row._meta.app_label}_{row._meta.model_name}"
    if deleted_by == "delete-page":
        return admin.post(reverse(f"{admin_url}_delete", args=[row.pk]), {"post": "yes"})
    form = {"action": "delete_selected", "post": "yes", ACTION_CHECKBOX_NAME: [row.pk]}
    return admin.post(reverse(f"{admin_url}_changelist"), form)
