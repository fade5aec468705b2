"""GET /api/v1/reports/dashboard: the page's figures as JSON, for the same people."""

from __future__ import annotations

from tests.support.api import assert_error_body

URL = "/api/v1/reports/dashboard"
MARCH = {"start": "2026-03-01", "end": "2026-03-30"}


def test_an_admin_reads_the_figures_of_the_period_and_the_previous_one(month, api_client_for, carol) -> None:
    response = api_client_for(carol).get(URL, MARCH)
    assert response.status_code == 200
    body = response.json()
    assert body["period"] == {
        "start": "2026-03-01",
        "end": "2026-03-30",
        "previous_start": "2026-01-30",
        "previous_end": "2026-02-28",
    }
    assert body["first_response"]["median_minutes"] == {"value": 30.0, "previous": 50.0, "change": -20.0}
    assert body["resolution"]["p90_minutes"]["value"] == 564.0
    assert body["totals"]["created"] == {"value": 6, "previous": 2, "change": 4.0}
    assert len(body["daily"]) == 30
    assert body["daily"][1] == {"day": "2026-03-02", "created": 2, "solved": 2, "backlog": 0, "replies": 2}
    assert body["csat_score"]["value"] == 50.0


def test_the_filters_are_the_pages(month, api_client_for, carol) -> None:
    body = api_client_for(carol).get(URL, {**MARCH, "agent": month.bob.pk}).json()
    assert body["first_response"]["p90_minutes"]["value"] == 196.0
    assert body["filters"] == {"team": None, "category": None, "agent": month.bob.pk}


def test_bad_filters_are_a_400_naming_the_field(api_client_for, carol) -> None:
    client = api_client_for(carol)
    assert_error_body(client.get(URL, {"start": "2026-03-30", "end": "2026-03-01"}), 400, "invalid")
    assert_error_body(client.get(URL, {"team": "x"}), 400, "invalid")
    assert_error_body(client.get(URL, {"start": "20260301"}), 400, "invalid")
    assert_error_body(client.get(URL, {"colour": "red"}), 400, "invalid")
    assert client.get(URL, {"start": "2026-03-30", "end": "2026-03-01"}).json()["error"]["details"] == {
        "start": ["The first day must not be after the last."]
    }


def test_requesters_and_agents_are_refused(api_client_for, alice, mallory, bob, carol) -> None:
    assert_error_body(api_client_for(mallory).get(URL), 403, "permission_denied")
    assert_error_body(api_client_for(alice).get(URL), 403, "permission_denied")
    assert_error_body(api_client_for(bob).get(URL), 403, "permission_denied")
    assert api_client_for(None).get(URL).status_code == 401


def test_agents_read_them_when_the_setting_allows(api_client_for, bob, settings) -> None:
    settings.REPORTS_FOR_AGENTS = True
    assert api_client_for(bob).get(URL).status_code == 200
