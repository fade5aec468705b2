"""Correcting a ticket's subject or description: staff only, re-rendered, never blank."""

from __future__ import annotations

import pytest

from helpdesk.errors import InvalidValue, NotPermitted
from tickets.services import ticket_edit_content


def test_agent_corrects_subject_and_description(ticket, bob):
    ticket_edit_content(ticket=ticket, actor=bob, subject="Invoice 42 is wrong", description="**Charged** twice")
    ticket.refresh_from_db()
    assert ticket.subject == "Invoice 42 is wrong"
    assert "<strong>Charged</strong>" in ticket.description_html


def test_requester_cannot_edit_the_text(ticket, alice):
    with pytest.raises(NotPermitted):
        ticket_edit_content(ticket=ticket, actor=alice, subject="Mine now", description="")
    ticket.refresh_from_db()
    assert ticket.subject == "Invoice is wrong"


def test_blank_subject_is_refused(ticket, bob):
    with pytest.raises(InvalidValue):
        ticket_edit_content(ticket=ticket, actor=bob, subject="  ", description="")
