"""The first ticket is a few Tab presses away: a skip link jumps over the views, filters and bulk actions."""

from __future__ import annotations

from django.urls import reverse

from tests.support.html import elements

FOCUSABLE = {"a", "button", "input", "select", "textarea", "summary"}


def focusable(tag: str, attrs: dict[str, str | None]) -> bool:
    if tag not in FOCUSABLE or attrs.get("tabindex") == "-1" or "disabled" in attrs:
        return False
    if tag == "a" and "href" not in attrs:
        return False
    return not (tag == "input" and attrs.get("type") == "hidden")


def test_the_first_ticket_is_reached_by_a_skip_link_then_two_tab_presses(bob, desk, client_for):
    page = elements(client_for(bob).get(reverse("staff_queue")).content.decode())
    tab_order = [(tag, attrs) for tag, attrs in page if focusable(tag, attrs)]

    # Tab 1: "Skip to content"; Tab 2: "Skip to tickets", Enter.
    assert [attrs.get("href") for _, attrs in tab_order[:2]] == ["#main", "#tickets"]
    start = next(index for index, (_, attrs) in enumerate(page) if attrs.get("id") == "tickets")
    after_skip = [(tag, attrs) for tag, attrs in page[start:] if focusable(tag, attrs)]
    # Tab 3: the first row's checkbox; Tab 4: the first ticket's link.
    assert after_skip[0][1].get("type") == "checkbox" and after_skip[0][1].get("form") == "bulk"
    assert after_skip[1][1].get("class") == "ticket-link"


def test_rows_carry_stable_hooks_for_keyboard_shortcuts(bob, desk, client_for):
    page = elements(client_for(bob).get(reverse("staff_queue")).content.decode())

    rows = [attrs for tag, attrs in page if tag == "tr" and "data-ticket-row" in attrs]
    assert [int(attrs["data-ticket-id"]) for attrs in rows] == [
        desk[name].pk for name in ("pending", "carols", "unassigned", "mine")
    ]
