"""Working a ticket in headless Chromium: keyboard shortcuts, the note mode, macros as you type, collision warnings,
and axe-core on the ticket and macros pages."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from accounts.models import User
from macros.models import Macro, MacroVisibility
from tests.support.browser import Browser, violation_summary
from tickets.models import Comment, Priority, Status, Ticket
from tickets.presence import presence_touch
from tickets.services import comment_create, ticket_create, ticket_link


def ticket_page(ticket: Ticket) -> str:
    return f"/staff/tickets/{ticket.pk}/"


def blur(browser: Browser) -> None:
    browser.driver.execute_script("document.activeElement && document.activeElement.blur()")


def test_j_k_and_o_move_through_the_queue_and_open_a_ticket(browser: Browser, bob: User, alice: User, category) -> None:
    for number in range(3):
        ticket_create(requester=alice, subject=f"Queue ticket {number}", category=category)
    browser.log_in(bob)
    browser.open("/staff/")
    rows = browser.find_all("[data-ticket-row]")
    assert len(rows) == 3

    browser.press("j")
    browser.press("j")
    browser.press("k")

    current = browser.find_all("[data-ticket-row].is-current")
    assert len(current) == 1
    assert current[0] == rows[0]
    link = rows[0].find_element("css selector", "a[href]").get_attribute("href")
    browser.press("o")
    browser.wait_until(lambda driver: driver.current_url == link)


def test_x_ticks_the_selected_rows_for_a_bulk_action_without_the_mouse(
    browser: Browser, bob: User, alice: User, category
) -> None:
    tickets = [
        ticket_create(requester=alice, subject=f"Queue ticket {number}", category=category) for number in range(3)
    ]
    browser.log_in(bob)
    browser.open("/staff/")
    boxes = browser.find_all('[data-ticket-row] input[type="checkbox"]')
    assert len(boxes) == 3

    browser.press("x")  # no row chosen yet: nothing to tick
    browser.press("j", "x", "j", "j", "x")  # the first and the third row
    assert [box.is_selected() for box in boxes] == [True, False, True]
    browser.press("k", "k", "x")  # and again: untick the first
    assert [box.is_selected() for box in boxes] == [False, False, True]
    assert browser.focused().get_attribute("class") == "ticket-link"  # j / k go on from the row, not a checkbox

    browser.press("/")
    browser.press("x")  # typed into the search box, not a shortcut
    assert browser.focused().get_attribute("value") == "x"
    assert [box.is_selected() for box in boxes] == [False, False, True]
    blur(browser)
    browser.press("?")
    assert "Tick or untick the selected ticket" in browser.text("dialog.shortcuts-help")
    browser.press(Keys.ESCAPE)

    # The ticked row is what the bulk form sends: the page lists newest first, so the third row is the oldest ticket.
    browser.find("#bulk summary").click()
    Select(browser.find('#bulk select[name="priority"]')).select_by_value(str(Priority.URGENT.value))
    browser.find("#bulk button[type=submit]").click()
    browser.wait_until(lambda driver: browser.path == "/staff/bulk/")
    assert list(Ticket.objects.filter(priority=Priority.URGENT).values_list("pk", flat=True)) == [tickets[0].pk]


@pytest.mark.parametrize("width", [1280, 1024, 800])
def test_the_queue_panels_open_inside_the_window(browser: Browser, bob: User, ticket, width: int) -> None:
    browser.resize(width, 800)
    browser.log_in(bob)
    browser.open("/staff/")

    for panel in (".queue-filter-panel", ".queue-bulk", ".queue-save"):
        browser.find(f"{panel} > summary").click()
        left, right = browser.driver.execute_script(
            "const box = document.querySelector(arguments[0]).lastElementChild.getBoundingClientRect();"
            "return [box.left, box.right];",
            panel,
        )
        assert left >= 0 and right <= width, f"{panel} spans {left}..{right} in a {width}px window"
        browser.find(f"{panel} > summary").click()


def test_each_status_and_priority_badge_fits_its_queue_column(browser: Browser, bob: User, alice: User) -> None:
    for priority in Priority:
        ticket_create(requester=alice, subject=f"A {priority.label} one", priority=priority, actor=bob)
    browser.log_in(bob)
    browser.open("/staff/")

    clipped = browser.driver.execute_script(
        """return [...document.querySelectorAll("td.col-status, td.col-priority")].filter((cell) => {
             const badge = cell.firstElementChild;
             const inner = cell.getBoundingClientRect().right - parseFloat(getComputedStyle(cell).paddingRight);
             return badge && badge.getBoundingClientRect().right > inner + 0.5;
           }).map((cell) => cell.textContent.trim());"""
    )
    assert clipped == []


def test_slash_focuses_search_and_question_mark_lists_the_shortcuts(browser: Browser, bob: User, ticket) -> None:
    browser.log_in(bob)
    browser.open("/staff/")

    browser.press("/")
    assert browser.focused().get_attribute("name") == "q"
    browser.press("j")  # typed into the search box, not a shortcut
    assert browser.focused().get_attribute("value") == "j"
    assert not browser.find_all("[data-ticket-row].is-current")

    blur(browser)
    browser.press("?")
    assert browser.visible("dialog.shortcuts-help")
    assert "Assign the ticket to me" in browser.text("dialog.shortcuts-help")


def test_n_and_r_switch_the_reply_box_and_never_fire_while_typing(browser: Browser, bob: User, ticket) -> None:
    browser.log_in(bob)
    browser.open(ticket_page(ticket))

    browser.press("n")
    form = browser.find("[data-reply-form]")
    assert "is-note" in form.get_attribute("class")
    assert browser.visible(".reply-banner-note")
    assert browser.text(".reply-banner-note") == "Internal note — only staff see this"
    assert browser.focused().get_attribute("name") == "body"
    # The note is yellow before it is sent.
    assert form.value_of_css_property("background-color") == "rgba(255, 248, 219, 1)"

    browser.press("r and a note")  # typing: "r" and "a" must not switch the mode or assign the ticket
    assert "is-note" in form.get_attribute("class")
    assert browser.find("textarea[name=body]").get_attribute("value") == "r and a note"

    blur(browser)
    browser.press("r")
    assert "is-note" not in form.get_attribute("class")
    assert browser.visible(".reply-banner-public")


def test_a_assigns_to_me_and_s_focuses_the_status(browser: Browser, bob: User, ticket) -> None:
    browser.log_in(bob)
    browser.open(ticket_page(ticket))

    browser.press("s")
    assert browser.focused().get_attribute("name") == "status"
    blur(browser)
    browser.press("a")

    browser.wait_until(lambda driver: "Assigned to you." in driver.page_source)
    ticket.refresh_from_db()
    assert ticket.assignee == bob


def test_a_note_sent_from_the_keyboard_stays_internal(browser: Browser, bob: User, ticket) -> None:
    browser.log_in(bob)
    browser.open(ticket_page(ticket))

    browser.press("n")
    browser.press("Checked with finance")
    browser.find("[data-reply-form] button[name=then_status][value='']").click()

    browser.wait_until(lambda driver: "Internal note added." in driver.page_source)
    assert Comment.objects.get().internal is True


def test_a_macro_found_by_typing_fills_the_reply_box(browser: Browser, bob: User, ticket) -> None:
    Macro.objects.create(name="Password reset", body="Reset it", owner=bob)
    Macro.objects.create(
        name="Refund approved",
        body="Hi {{ requester.first_name }}, refund for #{{ ticket.id }} approved.",
        owner=bob,
        visibility=MacroVisibility.EVERYONE,
        set_status=Status.RESOLVED,
    )
    browser.log_in(bob)
    browser.open(ticket_page(ticket))

    browser.press("refund", Keys.ENTER, target="#macro-search")

    body = browser.find("textarea[name=body]")
    browser.wait_until(lambda driver: body.get_attribute("value"))
    assert body.get_attribute("value") == f"Hi Alice, refund for #{ticket.pk} approved."
    assert "set the status to resolved" in browser.text("[data-macro-chosen]")
    browser.find("[data-reply-form] button[name=then_status][value='']").click()
    browser.wait_until(lambda driver: "Macro “Refund approved” applied." in driver.page_source)
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


def test_the_page_shows_who_else_is_typing(browser: Browser, bob: User, carol: User, ticket, monkeypatch) -> None:
    monkeypatch.setattr("tickets.views.staff.POLL_SECONDS", 3)
    browser.log_in(bob)
    browser.open(ticket_page(ticket))
    assert not browser.visible("[data-presence] .presence-viewer")

    presence_touch(ticket_id=ticket.pk, user=carol, typing=True)

    browser.wait_until(
        lambda driver: "Carol Admin is typing a reply" in browser.text("[data-presence]"),
        timeout=10,
        message="the poll never showed Carol",
    )


def test_a_reply_crossing_a_new_message_is_held_and_nothing_is_lost(
    browser: Browser, bob: User, alice: User, ticket, monkeypatch
) -> None:
    monkeypatch.setattr("tickets.views.staff.POLL_SECONDS", 3)
    browser.log_in(bob)
    browser.open(ticket_page(ticket))
    browser.press("Have you tried restarting?", target="textarea[name=body]")

    comment_create(ticket=ticket, author=alice, body="It works again, never mind")
    browser.wait_until(lambda driver: browser.visible("[data-arrived-live]"), timeout=10)
    browser.find("[data-reply-form] button[name=then_status][value='']").click()

    browser.wait_until(lambda driver: "Not sent yet" in driver.page_source)
    assert "It works again, never mind" in browser.text(".held-reply")
    assert browser.find("textarea[name=body]").get_attribute("value") == "Have you tried restarting?"
    assert not Comment.objects.filter(author=bob).exists()

    browser.find("[data-reply-form] button[name=then_status][value='']").click()
    browser.wait_until(lambda driver: "Reply sent to the requester." in driver.page_source)
    assert Comment.objects.filter(author=bob).count() == 1


@pytest.mark.parametrize("mode", ["", "?mode=note"])
def test_the_ticket_page_has_no_serious_axe_violations(
    browser: Browser, bob: User, alice: User, carol: User, ticket, category, mode
) -> None:
    other = ticket_create(requester=alice, subject="Another one", category=category)
    ticket_link(ticket=ticket, other=other, relation="related", actor=bob)
    comment_create(ticket=ticket, author=bob, body="A note", internal=True)
    Macro.objects.create(name="Thanks", body="Thanks {{ requester.name }}", owner=bob)
    presence_touch(ticket_id=ticket.pk, user=carol)
    browser.log_in(bob)
    browser.open(ticket_page(ticket) + mode)

    violations = browser.axe_violations()

    assert violations == [], violation_summary(violations)
    assert [error for error in browser.console_errors() if "favicon.ico" not in error] == []


@pytest.mark.parametrize("path", ["/staff/macros/", "/staff/macros/new/", "/staff/tickets/new/"])
def test_the_macros_and_new_ticket_pages_have_no_serious_axe_violations(
    browser: Browser, bob: User, team, path
) -> None:
    Macro.objects.create(name="Thanks", body="Thanks {{ requester.name }}", owner=bob, set_status=Status.RESOLVED)
    browser.log_in(bob)
    browser.open(path)

    violations = browser.axe_violations()

    assert violations == [], violation_summary(violations)


def test_the_merge_confirmation_has_no_serious_axe_violations(
    browser: Browser, bob: User, alice: User, ticket, category
) -> None:
    other = ticket_create(requester=alice, subject="Dup", category=category)
    browser.log_in(bob)
    browser.open(f"/staff/tickets/{other.pk}/merge/?into={ticket.pk}")

    violations = browser.axe_violations()

    assert violations == [], violation_summary(violations)
