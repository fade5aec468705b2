"""The Django side of the PostgreSQL bench, run in its own process with the bench database's DATABASE_URL.

`prepare`: migrate, load the tickets once with generate_series (about a minute per million), and hand the
orchestrator what its scenarios need (ids, a bearer token, a session). `queries`: replay each scenario once
in-process and count its SQL queries.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from bench import search_data

REQUESTERS_PER_TICKET = 50  # 1M tickets: 20,000 requesters
AGENTS = 20
TEAMS = 6
CATEGORIES = 12
TAGS = 40
BUSY_COMMENTS = 100
AGENT_EMAIL = "agent@bench.test"
BULK_TICKETS = 100
EXPORT_ROWS = 100_000  # the export's view: the open tickets at 1M (the newest 10%), every ticket up to this size
EXPORT_VIEW = "Bench export"
# The export is another agent's: a saved view of the bench agent's would add a count to every queue page's sidebar.
EXPORT_AGENT_EMAIL = "exporter@bench.test"

WORDS = [
    *("printer", "vpn", "password", "laptop", "invoice", "refund", "login", "email", "screen", "update", "crash"),
    *("slow", "access", "account", "license", "meeting", "phone", "wifi", "backup", "order", "delivery"),
    *("certificate", "keyboard", "monitor", "report"),
]
# A long tail as real text has (product names, error codes): every description also names one of 13³ = 2,197
# made-up device names. With only the 25 words above, PostgreSQL's text statistics hold every lexeme as "most
# common" and guess any other word at its 0.5 % default, so a rare word's search walked the newest-first index over
# all 1M tickets instead of reading the GIN index (bench/README.md, "Search scenarios").
SYLLABLES = ["ka", "lo", "mi", "re", "tu", "sa", "ne", "po", "vi", "da", "ko", "ze", "bu"]

# Realistic shapes: a subject of three words, a description of a paragraph, open work skewed to the newest,
# a fifth unassigned, priorities mostly normal. Everything is derived from the ticket number g, so a load is
# reproducible. Markdown is stored rendered (description_html, body_html), as the services do.
LOAD_SQL = """
INSERT INTO accounts_user (password, last_login, email, name, role, is_active, date_joined, time_zone)
SELECT '!', NULL, 'agent' || g || '@bench.test', 'Agent ' || g, 'agent', true, now() - interval '3 years', ''
FROM generate_series(1, %(agents)s) g;

INSERT INTO accounts_user (password, last_login, email, name, role, is_active, date_joined, time_zone)
SELECT '!', NULL, 'requester' || g || '@bench.test', 'Requester ' || g, 'requester', true,
       now() - interval '3 years', ''
FROM generate_series(1, %(requesters)s) g;

INSERT INTO tickets_team (name) SELECT 'Team ' || g FROM generate_series(1, %(teams)s) g;
INSERT INTO tickets_category (name, slug, description, default_team_id, is_active)
SELECT 'Category ' || g, 'category-' || g, '', NULL, true FROM generate_series(1, %(categories)s) g;
INSERT INTO tickets_tag (name) SELECT 'tag-' || g FROM generate_series(1, %(tags)s) g;

CREATE TEMP TABLE bench_ids AS SELECT
  (SELECT array_agg(id ORDER BY id) FROM accounts_user WHERE role = 'agent' AND email LIKE 'agent%%@bench.test'
     AND email <> %(agent_email)s) AS agents,
  (SELECT array_agg(id ORDER BY id) FROM accounts_user WHERE role = 'requester') AS requesters,
  (SELECT array_agg(id ORDER BY id) FROM tickets_team) AS teams,
  (SELECT array_agg(id ORDER BY id) FROM tickets_category) AS categories,
  (SELECT array_agg(id ORDER BY id) FROM tickets_tag) AS tags,
  %(words)s::text[] AS words,
  %(syllables)s::text[] AS syllables;

INSERT INTO tickets_ticket (
  subject, description, description_html, status, priority, category_id, team_id, requester_id, assignee_id,
  channel, sender_verified, created_at, updated_at, first_response_at, resolved_at, closed_at)
SELECT
  initcap(w[1 + g %% 25]) || ' ' || w[1 + (g / 25) %% 25] || ' ' || w[1 + (g / 625) %% 25] || ' #' || g,
  'Since this morning my ' || w[1 + g %% 25] || ' shows an error when I try the ' || w[1 + (g / 7) %% 25]
    || '. I restarted twice and asked a colleague, who sees the same. Could you have a look? It is the '
    || device.name || '. Thanks.',
  '<p>Since this morning my ' || w[1 + g %% 25] || ' shows an error when I try the ' || w[1 + (g / 7) %% 25]
    || '. I restarted twice and asked a colleague, who sees the same. Could you have a look? It is the '
    || device.name || '. Thanks.</p>',
  CASE WHEN g > %(size)s * 0.9 THEN (ARRAY['new','open','pending'])[1 + g %% 3]
       WHEN g %% 10 = 0 THEN 'resolved' ELSE 'closed' END,
  (ARRAY[20,20,20,10,30,20,40,20])[1 + g %% 8],
  b.categories[1 + g %% %(categories)s],
  b.teams[1 + g %% %(teams)s],
  b.requesters[1 + g %% %(requesters)s],
  CASE WHEN g %% 5 = 0 THEN NULL ELSE b.agents[1 + g %% %(agents)s] END,
  (ARRAY['web','email','api','form'])[1 + g %% 4],
  true,
  t.created,
  t.created + interval '2 hours',
  t.created + interval '1 hour',
  CASE WHEN g <= %(size)s * 0.9 THEN t.created + interval '1 day' END,
  CASE WHEN g <= %(size)s * 0.9 AND g %% 10 <> 0 THEN t.created + interval '2 days' END
FROM generate_series(1, %(size)s) g
CROSS JOIN bench_ids b
CROSS JOIN LATERAL (SELECT now() - interval '3 years' * (1 - g::float / %(size)s) AS created) t
CROSS JOIN LATERAL (SELECT b.words AS w) words
CROSS JOIN LATERAL (SELECT b.syllables[1 + (g * 7) %% 13] || b.syllables[1 + (g / 13) %% 13]
  || b.syllables[1 + (g / 169) %% 13] AS name) device;

INSERT INTO tickets_ticket_tags (ticket_id, tag_id)
SELECT t.id, b.tags[1 + t.id %% %(tags)s] FROM tickets_ticket t CROSS JOIN bench_ids b
UNION ALL
SELECT t.id, b.tags[1 + (t.id / 3 + 7) %% %(tags)s] FROM tickets_ticket t CROSS JOIN bench_ids b
WHERE t.id %% 3 = 0 AND (t.id / 3 + 7) %% %(tags)s <> t.id %% %(tags)s;

INSERT INTO tickets_comment (ticket_id, author_id, body, body_html, internal, created_at)
SELECT t.id, COALESCE(t.assignee_id, b.agents[1]),
       'Thanks for the report. Could you send a **screenshot** of the error?',
       '<p>Thanks for the report. Could you send a <strong>screenshot</strong> of the error?</p>',
       t.id %% 7 = 0, t.first_response_at
FROM tickets_ticket t CROSS JOIN bench_ids b;
"""


def desk_insert(cursor: Any, size: int) -> None:
    """LOAD_SQL's users, teams, categories, tags, tickets and first comments for `size` tickets."""
    params = {
        "size": size,
        "agents": AGENTS,
        "requesters": max(size // REQUESTERS_PER_TICKET, 10),
        "teams": TEAMS,
        "categories": CATEGORIES,
        "tags": TAGS,
        "agent_email": AGENT_EMAIL,
        "words": WORDS,
        "syllables": SYLLABLES,
    }
    for statement in LOAD_SQL.split(";\n"):
        if statement.strip():
            cursor.execute(statement, params)


# Every resolution asks its requester for a rating (csat.services.survey_request, on the worker), so every ticket
# resolved once has a survey; a quarter rated, a fifth of those bad, as bench/report_data.py's metrics say. An empty
# survey table hid what the lists' survey flags and ratings cost (bench/README.md, tenth session).
SURVEYS_SQL = """
INSERT INTO csat_satisfactionsurvey (ticket_id, resolved_at, requested_at, rating, comment, rated_at)
SELECT id, resolved_at, resolved_at,
       CASE WHEN id %% 4 <> 0 THEN '' WHEN id %% 5 = 0 THEN 'bad' ELSE 'good' END,
       '',
       CASE WHEN id %% 4 = 0 THEN resolved_at + interval '2 hours' END
FROM tickets_ticket WHERE resolved_at IS NOT NULL
"""


def fill_surveys(log: Any) -> None:
    """The surveys of every resolved ticket, once (a database loaded before they were part of the data gets them on
    its next run)."""
    from django.db import connection

    from csat.models import SatisfactionSurvey

    if SatisfactionSurvey.objects.exists():
        return
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(SURVEYS_SQL, {})
        cursor.execute("ANALYZE csat_satisfactionsurvey")
    log(f"  satisfaction surveys of every resolved ticket inserted in {time.perf_counter() - started:.0f} s")


# Conversations go back and forth: a third of the tickets have their requester's reply after the agent's answer. With
# every comment an agent's (the lowest user ids), PostgreSQL planned the ticket page's comments as a merge join over
# the whole user table, which the busy ticket's requester's replies then read to the end: 4 ms at 1M, an artifact of
# the data (bench/README.md, twelfth session). The busy ticket and the one comments are written to are left as they are.
REPLY_BODY = "Here is the **screenshot** you asked for. The error is still there."
REPLIES_SQL = """
INSERT INTO tickets_comment (ticket_id, author_id, body, body_html, internal, created_at)
SELECT id, requester_id, %(body)s,
       '<p>Here is the <strong>screenshot</strong> you asked for. The error is still there.</p>',
       false, first_response_at + interval '30 minutes'
FROM tickets_ticket
WHERE id %% 3 = 1 AND id < (SELECT max(id) - 1 FROM tickets_ticket)
"""


def fill_requester_replies(log: Any) -> None:
    """The requesters' replies, once (a database loaded before they were part of the data gets them on its next
    run)."""
    from django.db import connection

    from tickets.models import Comment

    if Comment.objects.filter(body=REPLY_BODY).exists():
        return
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(REPLIES_SQL, {"body": REPLY_BODY})
        cursor.execute("ANALYZE tickets_comment")
    log(f"  requesters' replies to a third of the tickets inserted in {time.perf_counter() - started:.0f} s")


# A team with an SLA policy: every ticket gets a first-response and a resolution clock when it is opened (on the
# default calendar), stopped when the promise is kept; an open ticket's resolution clock is running (paused while
# the ticket is pending) and, past its due time, breached, as the sweep marks it. Running clocks on the open tickets
# are what the lists show; without them the bench measured none of that (bench/README.md, twelfth session).
CLOCKS_SQL = """
INSERT INTO sla_slaclock (ticket_id, metric, policy_id, calendar_id, target_minutes, started_at, elapsed,
                          counted_until, paused, due_at, warn_at, warned_at, breached_at, met_at, stopped_at,
                          next_check_at)
SELECT t.id, m.metric, %(policy)s, %(calendar)s, m.target, t.created_at, interval '0', t.created_at, c.paused,
       CASE WHEN NOT c.paused THEN c.due END, CASE WHEN NOT c.paused THEN c.warn END,  -- none while paused
       CASE WHEN c.warn < COALESCE(m.done, now()) THEN c.warn END,
       CASE WHEN c.due < COALESCE(m.done, now()) THEN c.due END,
       m.done, m.done,
       CASE WHEN m.done IS NULL AND NOT c.paused AND c.due >= now() THEN c.warn END
FROM tickets_ticket t
CROSS JOIN LATERAL (VALUES ('first_response', 240, t.first_response_at), ('resolution', 2880, t.resolved_at))
    AS m(metric, target, done)
CROSS JOIN LATERAL (SELECT m.done IS NULL AND t.status = 'pending' AS paused,
                           t.created_at + make_interval(mins => m.target) AS due,
                           t.created_at + make_interval(mins => m.target * 3 / 4) AS warn) c
"""


def fill_sla_clocks(log: Any) -> None:
    """The SLA clocks of every ticket under one policy, once (a database loaded before they were part of the data
    gets them on its next run)."""
    from django.db import connection

    from sla.models import BusinessCalendar, SlaClock, SlaPolicy, SlaTarget
    from tickets.models import Priority

    if SlaClock.objects.exists():
        return
    started = time.perf_counter()
    policy = SlaPolicy.objects.create(name="Bench standard", position=1)
    SlaTarget.objects.bulk_create(
        SlaTarget(policy=policy, priority=priority, first_response_minutes=240, resolution_minutes=2880)
        for priority in Priority
    )
    calendar = BusinessCalendar.objects.filter(is_default=True).first()
    with connection.cursor() as cursor:
        cursor.execute(CLOCKS_SQL, {"policy": policy.pk, "calendar": calendar.pk if calendar else None})
        cursor.execute("ANALYZE sla_slaclock")
    log(f"  SLA clocks of every ticket inserted in {time.perf_counter() - started:.0f} s")


def fixed_points(agent: Any, busy: Any, write: Any) -> dict[str, Any]:
    """The ids the scenarios' paths name (bench/scenarios.py): the busy and write tickets, an open ticket's team,
    category and tag, the agent."""
    from tickets.models import Ticket

    ticket = Ticket.objects.filter(status="open").order_by("-created_at").first()
    return {
        "busy_ticket": busy.pk,
        "write_ticket": write.pk,
        "team": ticket.team_id,
        "category": ticket.category_id,
        "tag": ticket.tags.first().name,
        "agent": agent.pk,
    }


def prepare(size: int) -> dict[str, Any]:
    from allauth.account.models import EmailAddress
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from report_data import fill_report_metrics

    from accounts.models import Role, User
    from accounts.services import api_token_issue
    from tickets.models import OPEN_STATUSES, Comment, Priority, Ticket, TicketEvent, TicketEventKind

    call_command("migrate", verbosity=0, interactive=False)
    if not User.objects.filter(email=AGENT_EMAIL).exists():
        with transaction.atomic(), connection.cursor() as cursor:
            desk_insert(cursor, size)
            agent = User.objects.create_user(AGENT_EMAIL, "bench-password", role=Role.AGENT, name="Bench Agent")
            EmailAddress.objects.create(user=agent, email=AGENT_EMAIL, verified=True, primary=True)
            busy, write = Ticket.objects.order_by("-created_at", "-id")[:2]
            Comment.objects.bulk_create(
                Comment(
                    ticket=busy,
                    author=agent if i % 2 else busy.requester,
                    body=f"Reply {i}: have you tried **turning it off** and on again?",
                    body_html=f"<p>Reply {i}: have you tried <strong>turning it off</strong> and on again?</p>",
                    internal=i % 10 == 0,
                )
                for i in range(BUSY_COMMENTS)
            )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    # Replies, surveys, SLA clocks, the reports' metrics and rollups (what the worker keeps), once: bench/report_data.py
    fill_requester_replies(log=lambda line: print(line, file=sys.stderr))
    fill_surveys(log=lambda line: print(line, file=sys.stderr))
    fill_sla_clocks(log=lambda line: print(line, file=sys.stderr))
    fill_report_metrics(log=lambda line: print(line, file=sys.stderr))
    agent = User.objects.get(email=AGENT_EMAIL)
    busy, write = Ticket.objects.order_by("-created_at", "-id")[:2]
    # Comments the last run's "comment create" added: gone, so every run starts from the same data.
    first = write.comments.order_by("id").first()
    write.comments.exclude(pk=first.pk if first else None).delete()
    write.events.filter(kind="comment").delete()
    # The bulk scenario's tickets: open work, newest first, not the two above; normal priority, as the scenario's
    # first request expects (it sets high, the next normal again); the last run's priority events gone.
    bulk = list(
        Ticket.objects.filter(status__in=OPEN_STATUSES)
        .exclude(pk__in=[busy.pk, write.pk])
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)[:BULK_TICKETS]
    )
    Ticket.objects.filter(pk__in=bulk).update(priority=Priority.NORMAL)
    TicketEvent.objects.filter(ticket_id__in=bulk, actor=agent, kind=TicketEventKind.PRIORITY).delete()
    exporter = User.objects.filter(email=EXPORT_AGENT_EMAIL).first()
    if exporter is None:
        exporter = User.objects.create_user(EXPORT_AGENT_EMAIL, None, role=Role.AGENT, name="Bench Exporter")
        EmailAddress.objects.create(user=exporter, email=EXPORT_AGENT_EMAIL, verified=True, primary=True)
    export_view, export_rows = _export_view(exporter, size)
    _, token = api_token_issue(user=agent, name="bench")
    client = Client()
    client.force_login(agent, backend="accounts.backends.RoleBackend")
    export_client = Client()
    export_client.force_login(exporter, backend="accounts.backends.RoleBackend")
    return {
        **search_data.search_prepare(),
        **fixed_points(agent, busy, write),
        "bulk_tickets": "&".join(f"ticket={pk}" for pk in bulk),
        "export_view": export_view,
        "export_rows": export_rows,
        "token": token,
        "session": client.cookies["sessionid"].value,
        "export_session": export_client.cookies["sessionid"].value,
    }


def _export_view(agent: Any, size: int) -> tuple[int, int]:
    """The agent's saved view for the export scenario (made once), and how many tickets it matches."""
    from queues.models import SavedView
    from queues.services import saved_view_create
    from tickets.conditions import tickets_matching
    from tickets.models import OPEN_STATUSES, Status, Ticket

    statuses = Status.values if size <= EXPORT_ROWS else OPEN_STATUSES
    conditions = {"status": ",".join(statuses)}
    view = SavedView.objects.filter(owner=agent, name=EXPORT_VIEW).first()
    if view is None or view.conditions != conditions:
        SavedView.objects.filter(owner=agent, name=EXPORT_VIEW).delete()
        view = saved_view_create(owner=agent, name=EXPORT_VIEW, conditions=conditions)
    return view.pk, tickets_matching(conditions, Ticket.objects.all(), user=agent).count()


def queries(plan: dict[str, Any]) -> dict[str, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for step in plan["plan"]:
        client = Client()
        headers = {}
        if step["auth"] == "token":
            headers["HTTP_AUTHORIZATION"] = f"Bearer {plan['token']}"
        elif step["auth"] in ("session", "browser"):  # the test client does not check CSRF tokens
            client.cookies["sessionid"] = plan["session"]
        elif step["auth"] == "exporter":
            client.cookies["sessionid"] = plan["export_session"]
        request = getattr(client, step["method"].lower())
        # The first one fills per-process caches; the second, counted, sends the next body (two bodies undo each
        # other: the counted one changes what the first set).
        bodies = step["bodies"]
        for body in (bodies[0], bodies[1 % len(bodies)]):
            kwargs = {"data": body, "content_type": step["content_type"] or "application/json"} if body else {}
            with CaptureQueriesContext(connection) as captured:
                response = request(step["path"], **kwargs, **headers)
                content = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code in (200, 201), (step, response.status_code)
        assert step["expect"] is None or step["expect"].encode() in content, (step["name"], content[-2000:])
        counts[step["name"]] = len(captured)
    return counts


def main(mode: str, size: int, args: list[str]) -> None:
    import django

    django.setup()
    result = prepare(size) if mode == "prepare" else queries(json.loads(args[0]))
    sys.stdout.write(json.dumps(result) + "\n")
