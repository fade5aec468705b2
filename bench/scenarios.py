"""What `BENCH_DB=postgres make bench` measures: one entry per scenario. Append yours.

A path may name the bench data's fixed points in braces; they are filled in per database:
  {busy_ticket}   the ticket with 100 comments          {write_ticket}  the ticket comments are added to
  {team} {category} {tag}   a team id, a category id, a tag name that tickets carry
  {agent}         the agent's user id (the signed-in staff member)
  {rare_word} {common_word}   words in one ticket in 50,000 and in about one in 8 (bench/search_data.py)
`auth` is "token" (the agent's bearer token), "session" (the agent's session cookie, as a browser) or "anonymous".
`next_page` measures the page the first page's `next` link points to (cursor lists only).
The ceiling scenario is the yardstick every other one is divided by; keep it first.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scenario:
    name: str
    method: str
    path: str
    auth: str = "token"
    body: str | None = None  # JSON, for POST
    next_page: bool = False


CEILING = "ceiling: bare DRF view, 25 rows"

SCENARIOS: list[Scenario] = [
    Scenario(CEILING, "GET", "/bench/ceiling", auth="anonymous"),
    Scenario("API list, default", "GET", "/api/v1/tickets/"),
    Scenario("API list, filtered", "GET", "/api/v1/tickets/?status=open,pending&team={team}"),
    Scenario("API list, ordered by priority", "GET", "/api/v1/tickets/?ordering=-priority"),
    Scenario("API list, second cursor page", "GET", "/api/v1/tickets/", next_page=True),
    Scenario("API ticket detail", "GET", "/api/v1/tickets/{busy_ticket}/"),
    Scenario(
        "API comment create",
        "POST",
        "/api/v1/tickets/{write_ticket}/comments/",
        body='{"body": "Thanks, **looking** into it.", "internal": true}',
    ),
    Scenario("staff queue, default", "GET", "/staff/", auth="session"),
    Scenario("staff queue, filtered", "GET", "/staff/?status=open&assignee=none", auth="session"),
    Scenario("staff queue, sorted by priority", "GET", "/staff/?sort=priority", auth="session"),
    Scenario("staff ticket page, 100 comments", "GET", "/staff/tickets/{busy_ticket}/", auth="session"),
    Scenario("search, rare word", "GET", "/api/v1/tickets/?q={rare_word}"),
    Scenario("search, rare word, status=open", "GET", "/api/v1/tickets/?q={rare_word}&status=open"),
    Scenario("search, common word", "GET", "/api/v1/tickets/?q={common_word}"),
    Scenario("search, common word, status=open", "GET", "/api/v1/tickets/?q={common_word}&status=open"),
    Scenario("search, staff queue, two words", "GET", "/staff/?q={common_word}%20error", auth="session"),
    # Reports (the bench agent may read them: REPORTS_FOR_AGENTS in bench_postgres.app_environment).
    Scenario("reports dashboard, last 30 days", "GET", "/staff/reports/", auth="session"),
    Scenario("API reports, last 30 days", "GET", "/api/v1/reports/dashboard"),
]
