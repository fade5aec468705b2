"""Placeholders are a fixed list replaced by plain text; nothing in braces is ever executed or looked up."""

from __future__ import annotations

import pytest

from helpdesk.errors import InvalidValue
from macros.placeholders import render_placeholders, unknown_placeholders
from macros.services import macro_create


def test_known_placeholders_are_filled_in(alice, bob, ticket):
    text = "{{requester.name}} <{{ requester.email }}> #{{ ticket.id }} {{ ticket.subject }} by {{ agent.first_name }}"

    rendered = render_placeholders(text, ticket=ticket, agent=bob)

    assert rendered == f"Alice Requester <alice@example.com> #{ticket.pk} Invoice is wrong by Bob"


@pytest.mark.parametrize(
    "text",
    [
        "{{ requester.password }}",
        "{{ ticket.requester.password }}",
        "{{ settings.SECRET_KEY }}",
        "{% load log %}{{ x|safe }}",
        "{{ ticket.__class__ }}",
    ],
)
def test_anything_else_is_left_as_typed(bob, ticket, text):
    assert render_placeholders(text, ticket=ticket, agent=bob) == text


def test_a_value_with_braces_is_not_filled_in_again(alice, bob, ticket):
    alice.name = "{{ agent.email }}"
    alice.save()
    ticket.refresh_from_db()

    assert render_placeholders("{{ requester.name }}", ticket=ticket, agent=bob) == "{{ agent.email }}"


def test_unknown_placeholders_are_named(db):
    assert unknown_placeholders("{{ ticket.id }} {{ ticket.secret }} {{nope}}") == ["nope", "ticket.secret"]


def test_a_macro_with_an_unknown_placeholder_is_refused(bob):
    with pytest.raises(InvalidValue) as refused:
        macro_create(actor=bob, name="Bad", body="Hello {{ requester.password }}")

    assert "requester.password" in str(refused.value.details["body"])
