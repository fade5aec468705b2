"""Headless Chromium (Debian's /usr/bin/chromium, driven by /usr/bin/chromedriver through Selenium) against
pytest-django's `live_server`: for what only a real browser shows — page height, live JavaScript, keyboard use,
and axe-core's accessibility checks.

    def test_the_queue_has_no_serious_axe_violations(browser: Browser, bob: User) -> None:
        browser.log_in(bob)
        browser.open("/staff/tickets/")
        assert browser.axe_violations() == []

The `browser` fixture (registered in tests/conftest.py) skips the test when chromium or chromedriver is missing,
unless REQUIRE_BROWSER=1 (CI sets it), where a missing browser fails the test instead. Drivers are never
downloaded: Selenium Manager is bypassed by naming the driver binary.

One Chromium per xdist worker, reused across tests (starting one costs about a second); each test starts with no
cookies and a 1280x800 window. `live_server` implies a transactional database, so rows a test creates are
visible to the server thread.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.signals import request_finished, request_started

from tests.support.servers import wait_until

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
AXE_SCRIPT = Path(__file__).parent / "vendor" / "axe.min.js"
WINDOW = (1280, 800)
SERIOUS = ("serious", "critical")


def browser_missing() -> str | None:
    """Why no browser test can run here, or None."""
    for name, binary in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)):
        if not (os.path.isfile(binary) and os.access(binary, os.X_OK)) and shutil.which(binary) is None:
            return f"{name} is not installed ({binary}); apt-get install chromium chromium-driver"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (requirements-dev.txt)"
    return None


def skip_or_fail_without_browser() -> None:
    reason = browser_missing()
    if reason is None:
        return
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def chromium_start() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--force-device-scale-factor=1",
        "--lang=en-US",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    return driver


def axe_violations(driver: Any, impacts: Sequence[str] = SERIOUS, *, context: str | None = None) -> list[dict]:
    """axe-core's violations on the page `driver` shows, those of the given impacts only.

    axe is injected with execute_script (the page's CSP allows no script from elsewhere, and execute_script is not
    subject to it). Each violation is axe's own dict: id, impact, help, nodes (with their targets and HTML).
    `context` is a CSS selector to check only part of the page.
    """
    already = driver.execute_script("return typeof window.axe !== 'undefined'")
    if not already:
        driver.execute_script(AXE_SCRIPT.read_text(encoding="utf-8"))
    results = driver.execute_async_script(
        """
        const [context, done] = [arguments[0], arguments[arguments.length - 1]];
        axe.run(context ? document.querySelector(context) : document, {resultTypes: ["violations"]})
          .then((results) => done(JSON.stringify(results.violations)))
          .catch((error) => done(JSON.stringify({error: String(error)})));
        """,
        context,
    )
    violations = json.loads(results)
    if isinstance(violations, dict):
        raise RuntimeError(f"axe-core failed: {violations['error']}")
    return [violation for violation in violations if violation.get("impact") in impacts]


def violation_summary(violations: list[dict]) -> str:
    """Readable lines for an assertion message: rule, impact, help and the first few offending elements."""
    lines = []
    for violation in violations:
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} — {targets}")
    return "\n".join(lines)


@dataclass
class Browser:
    """A Chromium window pointed at the live server, with the few things tests do with it."""

    driver: Any
    base_url: str
    screenshots: Path

    def log_in(self, user: Any) -> None:
        """Sign `user` in without the login form: a session made by Django's test client, its cookie handed over."""
        from django.conf import settings
        from django.test import Client

        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        # A cookie can only be set for the page's own origin, so open something cheap there first.
        self.driver.get(f"{self.base_url}/healthz")
        self.driver.add_cookie(
            {"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "path": "/", "httpOnly": True}
        )

    def open(self, path: str) -> None:
        self.driver.get(f"{self.base_url}{path}")

    @property
    def path(self) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(self.driver.current_url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def visible(self, css: str) -> bool:
        elements = self.find_all(css)
        return bool(elements) and elements[0].is_displayed()

    def text(self, css: str) -> str:
        return self.find(css).text

    def press(self, *keys: str, target: str | None = None) -> None:
        """Type keys into `target` (a CSS selector), or wherever the focus is (the page body when nothing has it).
        Special keys come from selenium.webdriver.common.keys.Keys (Keys.ENTER, Keys.TAB…)."""
        from selenium.webdriver.common.action_chains import ActionChains

        if target is not None:
            self.find(target).send_keys(*keys)
            return
        ActionChains(self.driver).send_keys(*keys).perform()

    def focused(self) -> Any:
        return self.driver.switch_to.active_element

    def wait_until(self, condition: Any, timeout: float = 5.0, message: str = "") -> Any:
        """Wait for `condition(driver)` to be truthy (a lambda or one of selenium's expected_conditions)."""
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, timeout).until(condition, message)

    def page_height(self) -> int:
        """The whole document's height in CSS pixels (what a reader scrolls through)."""
        return int(
            self.driver.execute_script(
                "return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)"
            )
        )

    def page_width(self) -> int:
        return int(
            self.driver.execute_script(
                "return Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
            )
        )

    def resize(self, width: int, height: int) -> None:
        """The viewport (not the outer window) becomes widthxheight."""
        self.driver.set_window_size(width, height)
        inner = self.driver.execute_script("return [window.innerWidth, window.innerHeight]")
        self.driver.set_window_size(2 * width - inner[0], 2 * height - inner[1])

    def screenshot(self, name: str = "page") -> Path:
        """A PNG of the viewport, saved under the test's tmp_path (its path is returned, for a failing test's
        message)."""
        path = self.screenshots / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def axe_violations(self, impacts: Sequence[str] = SERIOUS, *, context: str | None = None) -> list[dict]:
        return axe_violations(self.driver, impacts, context=context)

    def console_errors(self) -> list[str]:
        """Errors the page logged to the console (CSP refusals show up here)."""
        return [entry["message"] for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"]


@pytest.fixture(scope="session")
def chromium(live_server_for_browser: None) -> Iterator[Any]:
    """One headless Chromium for this test process (each xdist worker has its own).

    It is started after the live server, so it quits before the server stops: the server threads serving its
    kept-alive connections close them while the server still shares its in-memory SQLite connection with them."""
    skip_or_fail_without_browser()
    driver = chromium_start()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def live_server_for_browser(request: pytest.FixtureRequest) -> None:
    """Django's live server thread wraps the site in a media-files handler built from MEDIA_URL when it starts, and
    fails every request when that is None (as here: attachments are served by permission-checked views only). It
    gets a URL nothing uses just while it starts; the setting is back to None for everything else."""
    from django.test.utils import override_settings

    skip_or_fail_without_browser()  # before starting a server for nothing
    with override_settings(MEDIA_URL="/live-server-media-unused/"):
        request.getfixturevalue("live_server")


class RequestsInFlight:
    """Requests Django has started and not yet finished, in any thread: the live server's included."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def started(self, **_: Any) -> None:
        with self._lock:
            self.count += 1

    def finished(self, **_: Any) -> None:
        with self._lock:
            self.count -= 1

    @contextmanager
    def counting(self) -> Iterator[RequestsInFlight]:
        request_started.connect(self.started, dispatch_uid="tests.browser.started")
        request_finished.connect(self.finished, dispatch_uid="tests.browser.finished")
        try:
            yield self
        finally:
            request_started.disconnect(dispatch_uid="tests.browser.started")
            request_finished.disconnect(dispatch_uid="tests.browser.finished")


@pytest.fixture
def browser(chromium: Any, live_server_for_browser: None, live_server: Any, tmp_path: Path) -> Iterator[Browser]:
    """A fresh-looking browser for one test: no cookies, a 1280x800 viewport, on the live server."""
    _forget_everything(chromium)
    session = Browser(driver=chromium, base_url=live_server.url, screenshots=tmp_path)
    session.resize(*WINDOW)
    with RequestsInFlight().counting() as in_flight:
        yield session
        # Leave no page running scripts (a polling page) into the next test, nor its cookies.
        chromium.get("about:blank")
        # A request the page sent just before (a presence poll) may still be running in a server thread: the test's
        # flush of the database must wait for it (on PostgreSQL its TRUNCATE deadlocked with the request's reads).
        wait_until(lambda: in_flight.count <= 0, timeout=10, what="the live server's last requests")
    _forget_everything(chromium)


def _forget_everything(driver: Any) -> None:
    # Every origin's cookies (delete_all_cookies only reaches the current page's), so live servers on other ports
    # leave nothing behind either.
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    # The console log is the browser's, not the page's: what an earlier test's pages logged (a CSP refusal it
    # provoked on purpose) would otherwise show up in this test's console_errors().
    driver.get_log("browser")
