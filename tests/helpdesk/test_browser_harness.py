"""The headless-browser harness (tests/support/browser.py) works: sign-in, pages, keys, screenshots and axe-core."""

from __future__ import annotations

from accounts.models import User
from tests.support.browser import Browser, violation_summary
from tickets.models import Ticket


def test_a_signed_in_agent_sees_the_queue_and_it_has_no_serious_axe_violations(
    browser: Browser, bob: User, ticket: Ticket
) -> None:
    browser.log_in(bob)
    browser.open("/staff/")

    assert browser.path == "/staff/"
    assert ticket.subject in browser.text("main")
    shot = browser.screenshot("queue")
    assert shot.read_bytes().startswith(b"\x89PNG")
    violations = browser.axe_violations()
    assert violations == [], violation_summary(violations)


def test_keys_typed_into_a_field_reach_it(browser: Browser, bob: User) -> None:
    browser.log_in(bob)
    browser.open("/staff/")
    search = browser.find("main input[type=search], main input[name=q], main input[type=text]")
    search.click()

    browser.press("invoice")

    assert search.get_attribute("value") == "invoice"


def test_axe_reports_a_critical_violation_on_a_page_that_has_one(browser: Browser, bob: User) -> None:
    browser.log_in(bob)
    browser.open("/staff/")
    # An image button with no text at all: axe's "button-name" rule, critical.
    browser.driver.execute_script("document.querySelector('main').append(document.createElement('button'))")

    assert [violation["id"] for violation in browser.axe_violations()] == ["button-name"]


def test_an_anonymous_visitor_is_sent_to_sign_in(browser: Browser) -> None:
    browser.open("/staff/")

    assert browser.path.startswith("/accounts/login/")
