"""Every table of the page downloads as CSV, with the page's filters, for the same people."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from reports.selectors import TABLES

MARCH = {"start": "2026-03-01", "end": "2026-03-30"}


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode().removeprefix("\ufeff"))))


def test_each_table_downloads_as_csv_with_its_headings(month, client_for, carol) -> None:
    client = client_for(carol)
    for name, (_title, columns) in TABLES.items():
        rows = _csv(client.get(reverse("reports_csv", args=[name]), MARCH))
        assert rows[0] == [heading for _, heading in columns]


def test_the_summary_csv_has_this_and_the_previous_period(month, client_for, carol) -> None:
    response = client_for(carol).get(reverse("reports_csv", args=["summary"]), MARCH)
    assert response["Content-Disposition"] == 'attachment; filename="summary-2026-03-01-2026-03-30.csv"'
    rows = {row[0]: row[1:] for row in _csv(response)}
    assert rows["First response, 90th percentile (business minutes)"] == ["168.0", "58.0", "110.0"]
    assert rows["Created"] == ["6", "2", "4"]


def test_the_daily_csv_follows_the_filters(month, client_for, carol) -> None:
    response = client_for(carol).get(reverse("reports_csv", args=["daily"]), {**MARCH, "team": month.sales.pk})
    rows = _csv(response)
    assert len(rows) == 31
    assert rows[6] == ["2026-03-06", "1", "0", "1", "0"]


def test_names_a_spreadsheet_would_run_are_defused(month, client_for, carol) -> None:
    month.sales.name = "=HYPERLINK(1)"
    month.sales.save()
    month.tickets["F"].team = month.sales
    from reports.services import ticket_metrics_update

    month.tickets["F"].save()
    ticket_metrics_update(ticket_id=month.tickets["F"].pk)
    rows = _csv(client_for(carol).get(reverse("reports_csv", args=["open_by_team"])))
    assert ["'=HYPERLINK(1)", "1"] in rows


def test_names_beyond_ascii_read_right_in_a_spreadsheet(month, client_for, carol) -> None:
    month.bob.name = "Bérénice Ødegård"
    month.bob.save()

    response = client_for(carol).get(reverse("reports_csv", args=["agents"]), MARCH)

    # Excel reads a file without the byte order mark as the machine's code page: "BÃ©rÃ©nice".
    assert response.content.startswith("\ufeff".encode())
    assert "Bérénice Ødegård" in [row[0] for row in _csv(response)]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"start": "2026-03-32"}, "start", "Enter a valid date."),
        ({"start": "2026-03-30", "end": "2026-03-01"}, "start", "The first day must not be after the last."),
        ({**MARCH, "team": "99999999"}, "team", "Select a valid choice."),
        ({**MARCH, "agent": "nobody"}, "agent", "Select a valid choice."),
    ],
    ids=["bad-date", "end-before-start", "unknown-team", "unknown-agent"],
)
def test_filters_that_are_not_valid_give_no_csv_but_the_page_saying_why(
    month, client_for, carol, query, field, message
) -> None:
    response = client_for(carol).get(reverse("reports_csv", args=["daily"]), query)

    body = response.content.decode()
    assert response.status_code == 400
    assert response["Content-Type"] == "text/html; charset=utf-8" and "Content-Disposition" not in response
    assert "Those filters are not valid, so no CSV was made" in body
    assert message in response.context["form"].errors[field][0]
    assert f'id="id_{field}_error"' in body


@pytest.mark.parametrize("who", ["mallory", "bob"])
def test_people_who_may_not_read_reports_get_no_csv(client_for, request, who) -> None:
    response = client_for(request.getfixturevalue(who)).get(reverse("reports_csv", args=["daily"]))
    assert response.status_code == (404 if who == "mallory" else 403)


def test_an_unknown_table_is_a_404(client_for, carol) -> None:
    assert client_for(carol).get(reverse("reports_csv", args=["passwords"])).status_code == 404
