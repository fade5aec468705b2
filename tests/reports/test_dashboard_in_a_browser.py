"""The reports page in headless Chromium: it renders its charts within the CSP, and axe finds nothing serious."""

from __future__ import annotations

import os
import shutil

from tests.support.browser import Browser, violation_summary


def test_the_dashboard_in_chromium_has_charts_no_csp_refusals_and_no_serious_axe_violations(
    browser: Browser, month, carol
) -> None:
    browser.log_in(carol)
    browser.open("/staff/reports/?start=2026-03-01&end=2026-03-30")

    assert browser.text("h1") == "Reports"
    assert len(browser.find_all("svg.chart-svg polyline")) == 3
    assert len(browser.find_all("svg.chart-svg rect.chart-bar")) >= 3 + 4 + 1 + 5
    # The stylesheet applied (a class from static/css/reports.css), and nothing was refused by the CSP.
    assert browser.find(".chart-line").value_of_css_property("fill") == "none"
    refused = [error for error in browser.console_errors() if "Content Security Policy" in error]
    assert refused == []
    shots = [browser.screenshot("reports")]
    browser.driver.execute_script("document.getElementById('daily-heading').scrollIntoView()")
    shots.append(browser.screenshot("reports-charts"))
    for shot in shots:
        assert shot.read_bytes().startswith(b"\x89PNG")
        if os.environ.get("SCREENSHOT_DIR"):  # to look at them: SCREENSHOT_DIR=/tmp pytest -k chromium
            shutil.copy(shot, os.environ["SCREENSHOT_DIR"])
    violations = browser.axe_violations()
    assert violations == [], violation_summary(violations)
