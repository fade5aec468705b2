"""Hostile text in a macro, or in the values its placeholders take, is shown as text and never runs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from macros.models import Macro
from tests.support.xss import PAYLOADS, unexpected_active_content


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_macro_text_never_runs_on_the_macros_page_or_the_ticket_page(alice, bob, ticket, client_for, payload):
    alice.name = payload
    alice.save()
    macro = Macro.objects.create(name=payload, body=f"{payload} {{{{ requester.name }}}}", owner=bob)
    client = client_for(bob)

    for url in (
        reverse("macro_list"),
        reverse("macro_edit", args=[macro.pk]),
        reverse("staff_ticket_detail", args=[ticket.pk]),
        reverse("staff_ticket_detail", args=[ticket.pk]) + f"?macro={macro.pk}",
    ):
        html = client.get(url).content.decode()
        assert unexpected_active_content(html, admin=False) == [], url
