"""Every write of the inbound app. Storing: `store.py`; deciding what a message is: `process.py`; turning it into a
ticket or a reply: `tickets.py`; what was read of it, for the full mail page: `reading.py`; staff decisions on held
mail: `decisions.py`."""

from __future__ import annotations

from inbound.services.decisions import held_mail_accept, held_mail_reject, inbound_discard, inbound_reprocess
from inbound.services.process import (
    inbound_claim,
    inbound_claim_returned,
    inbound_fail,
    inbound_process,
    inbound_stale_ids,
)
from inbound.services.reading import inbound_read, inbound_read_request
from inbound.services.store import Stored, inbound_keep_unreadable, inbound_store

__all__ = [
    "Stored",
    "held_mail_accept",
    "held_mail_reject",
    "inbound_claim",
    "inbound_claim_returned",
    "inbound_discard",
    "inbound_fail",
    "inbound_keep_unreadable",
    "inbound_process",
    "inbound_read",
    "inbound_read_request",
    "inbound_reprocess",
    "inbound_stale_ids",
    "inbound_store",
]
