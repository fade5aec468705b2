"""Pausing one side of a race between a ticket's write and an admin's deletion of an SLA calendar or policy, until
the other side waits for a lock (tests.support.threads)."""

from __future__ import annotations

import threading

import pytest

from sla.services import sla_clocks_update
from tests.support.servers import wait_until
from tests.support.threads import someone_waits_for_a_lock


def edit_pausing_before_its_commit(
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


def deletion_pausing_before_its_commit(
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
