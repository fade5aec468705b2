"""What `BENCH_DB=postgres make bench` measures: one entry per scenario. Append yours.

A path may name the bench data's fixed points in braces; they are filled in per database:
  {busy_ticket}   the ticket with 100 comments          {write_ticket}  the ticket comments are added to
  {team} {category} {tag}   a team id, a category id, a tag name that tickets carry
  {agent}         the agent's user id (the signed-in staff member)
  {rare_word} {common_word}   words in one ticket in 50,000 and in about one in 8 (bench/search_data.py)
  {bulk_tickets}  `ticket=<id>&ticket=<id>…`: 100 open tickets, kept for the bulk scenario (priority normal at start)
`auth` is "token" (the agent's bearer token), "session" (the agent's session cookie, as a browser) or "anonymous";
"browser" posts a page's form as a browser does: the session and CSRF cookies, `Origin`, and the form `form_id` of
the page `form_page` with every field as the page renders it (its CSRF token too), changed by `bodies`.
`bodies` are query strings sent in turn, one per request (warm-ups included, so an even number of warm-ups starts
the measured requests at the first); each names every value of the fields it changes.
`next_page` measures the page the first page's `next` link points to (cursor lists only).
`connections` overrides BENCH_CONNECTIONS (1: one agent's requests one after another, no two on the same rows);
`seconds` is the least time a slow scenario is loaded for (BENCH_SECONDS when that is longer), so p99 has samples.
`expect` is text every warm-up response must contain (a form that failed redirects, and that is no error to wrk).
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
    form_page: str | None = None
    form_id: str | None = None
    bodies: tuple[str, ...] = ()
    connections: int | None = None
    seconds: int = 0
    expect: str | None = None


CEILING = "ceiling: bare DRF view, 25 rows"

# Not a wrk scenario: the staff queue's CSV export of a saved view matching 100,000 tickets (every ticket below that
# size), streamed; a few exports one after another, each read to its last byte while the serving worker's memory is
# sampled (bench_postgres.measure_export). The view is a second agent's ({export_view}, signed in as
# {export_session}), so the bench agent's queue sidebar counts no extra view. BENCH_ONLY matches this name too.
EXPORT = "CSV export, a view of 100,000 tickets"
EXPORT_PATH = "/staff/export.csv?view={export_view}"
EXPORT_WARM_UP = "/staff/export.csv?status=new&priority=urgent&tag={tag}"  # a few hundred rows, first in a worker

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
    # The queue's bulk form with 100 rows ticked; priority high, then back to normal, so every request changes all 100.
    Scenario(
        "staff bulk update, 100 tickets",
        "POST",
        "/staff/bulk/",
        auth="browser",
        form_page="/staff/",
        form_id="bulk",
        bodies=("{bulk_tickets}&priority=30", "{bulk_tickets}&priority=20"),
        connections=1,
        seconds=30,
        expect="Changed 100 tickets",
    ),
    Scenario("search, rare word", "GET", "/api/v1/tickets/?q={rare_word}"),
    Scenario("search, rare word, status=open", "GET", "/api/v1/tickets/?q={rare_word}&status=open"),
    Scenario("search, common word", "GET", "/api/v1/tickets/?q={common_word}"),
    Scenario("search, common word, status=open", "GET", "/api/v1/tickets/?q={common_word}&status=open"),
    Scenario("search, staff queue, two words", "GET", "/staff/?q={common_word}%20error", auth="session"),
    # Reports (the bench agent may read them: REPORTS_FOR_AGENTS in bench_postgres.app_environment).
    Scenario("reports dashboard, last 30 days", "GET", "/staff/reports/", auth="session"),
    Scenario("API reports, last 30 days", "GET", "/api/v1/reports/dashboard"),
]
