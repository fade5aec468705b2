"""Ticket search on PostgreSQL at 10k and 1M tickets: the staff queue's first page for a query, timed in-process.

`make bench-search` (or `python bench/bench_search.py [SIZE ...]`, sizes like 10000 1000000). Each size has its
own database (`BENCH_SEARCH_DATABASE_URL`, default postgres://root@127.0.0.1:5432/bench_search, plus `_SIZE`), made
if missing and kept between runs: tickets are added with generate_series up to the size, so a second run only times.
Each ticket has realistic text (a support vocabulary drawn with a skew, frequent words far more frequent, plus a
long tail of rarer made-up words and reference numbers), a requester, and one public comment; its search document is
built with the same vector expressions as `search.services`. A rare word is in one ticket in 50,000, a common word
in the subject of a third of them.

Each scenario runs the queue's query — `TicketFilter` with `q` (and a status), newest first, the first 25 rows with
their snippet, related rows and tags — REPEAT times (default 15) after one warm-up, and prints p50, p95 and the
query count. Target: p50 under 100 ms at 1M on a 2-core machine.
"""

from __future__ import annotations

import importlib
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SIZES = [int(arg) for arg in sys.argv[1:]] or [10_000, 1_000_000]
# One database per size (the URL's name plus the size), kept between runs.
DATABASE_URL = os.environ.get("BENCH_SEARCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/bench_search")
if len(SIZES) == 1:
    DATABASE_URL += f"_{SIZES[0]}"
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["CELERY_BROKER_URL"] = "memory://"  # nothing here records events; no broker is needed

import psycopg  # noqa: E402


def ensure_database() -> None:
    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


ensure_database()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from search.models import TicketDocument  # noqa: E402
from search.services import _public_vector, _staff_vector  # noqa: E402
from tickets.filters import TicketFilter  # noqa: E402
from tickets.models import Ticket  # noqa: E402
from tickets.selectors import ticket_list_for  # noqa: E402

SEARCH_INDEXES = importlib.import_module("search.migrations.0002_search_indexes")

REPEAT = int(os.environ.get("REPEAT", "15"))
PAGE = 25
REQUESTERS = 20_000
LOAD_BATCH = 100_000
RARE_WORD = "xylograph"  # one ticket in RARE_EVERY
RARE_EVERY = 50_000
COMMON_WORD = "printer"  # in the subject of one ticket in three

# A support desk's words. Drawn with a skew (the first far more often than the last), plus made-up product codes
# and names, so the vocabulary has the long tail of real text.
VOCABULARY = """
the is not working since this morning when I try to print a page it says error please help can you
check my account password reset link email does arrive invoice wrong amount charged twice refund order number
laptop screen flickers battery drains fast after update windows mac login fails vpn drops connection every hour
slow network wifi office third floor meeting room projector cable hdmi adapter keyboard mouse broken replace new
access denied permission folder shared drive file upload attachment missing export csv report dashboard loads
very timeout server outage down again urgent customer waiting since yesterday thanks regards best hello hi team
phone call back number mobile app crashes on start version install license expired renew subscription plan
billing address change name company contact details delivery package tracking late damaged return label warehouse
calendar invite sync outlook gmail spam filter blocked sender domain certificate expired browser chrome firefox
safari cache cookies session logged out two factor code rejected authenticator backup codes lost device
""".split()  # noqa: SIM905
SYLLABLES = "ka lo mi ter van sol dra pen rix tu bel cor fin gas hop jun kel mor nix pra".split()  # noqa: SIM905


def load(size: int) -> None:
    """Add tickets (and their requester, comment and search document) until there are `size` of them."""
    have = Ticket.objects.count()
    if have >= size:
        return
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Indexes are built once after the rows are in, as a restore would: far quicker than row by row.
        for statement in SEARCH_INDEXES.POSTGRES_BACKWARDS:
            cursor.execute(statement)
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute("SELECT coalesce(max(id), 0) FROM tickets_ticket")
        (last_ticket,) = cursor.fetchone()
        cursor.execute(
            """
            CREATE OR REPLACE FUNCTION bench_words(how_many int, vocabulary text[], syllables text[]) RETURNS text
            LANGUAGE sql VOLATILE AS $$
                SELECT string_agg(CASE
                    WHEN r < 0.05 THEN 'ref' || (random() * 90000)::int::text
                    WHEN r < 0.30 THEN syllables[1 + floor(random() * 20)::int]
                        || syllables[1 + floor(random() * 20)::int] || syllables[1 + floor(random() * 20)::int]
                    ELSE vocabulary[1 + floor(power(random(), 1.8) * array_length(vocabulary, 1))::int] END, ' ')
                FROM (SELECT random() AS r FROM generate_series(1, how_many)) AS draws
            $$
            """
        )
        if not User.objects.filter(role=Role.AGENT).exists():
            User.objects.create_user("bench-agent@example.com", role=Role.AGENT, name="Bench Agent")
        cursor.execute(
            """
            INSERT INTO accounts_user (password, email, name, role, is_active, date_joined, time_zone)
            SELECT '!', 'requester' || g || '@customer' || (g %% 700) || '.example', 'Requester ' || g, 'requester',
                   true, now(), ''
            FROM generate_series(1, %s) AS g
            ON CONFLICT DO NOTHING
            """,
            [REQUESTERS],
        )
        cursor.execute("SELECT min(id), max(id) FROM accounts_user WHERE role = 'requester'")
        first_requester, last_requester = cursor.fetchone()
        agent = User.objects.filter(role=Role.AGENT).values_list("pk", flat=True).first()
        for start in range(have, size, LOAD_BATCH):
            stop = min(start + LOAD_BATCH, size)
            cursor.execute(
                """
                INSERT INTO tickets_ticket (subject, description, description_html, status, priority, created_at,
                    updated_at, requester_id, channel, sender_verified)
                SELECT initcap(bench_words(5, %(words)s, %(syllables)s))
                       || CASE WHEN g %% 3 = 0 THEN ' ' || %(common_word)s ELSE '' END,
                       bench_words(45, %(words)s, %(syllables)s)
                       || CASE WHEN g %% %(rare)s = 7 THEN ' ' || %(rare_word)s ELSE '' END,
                       '', (ARRAY['new','open','pending','resolved','closed','closed','resolved'])[1 + g %% 7],
                       1 + g %% 4, %(epoch)s::timestamptz + make_interval(secs => g * 30),
                       %(epoch)s::timestamptz + make_interval(secs => g * 30),
                       %(first)s + (g::bigint * 7919) %% (%(last)s - %(first)s + 1), 'web', true
                FROM generate_series(%(start)s + 1, %(stop)s) AS g
                """,
                {
                    "words": VOCABULARY,
                    "syllables": SYLLABLES,
                    "common_word": COMMON_WORD,
                    "rare": RARE_EVERY,
                    "rare_word": RARE_WORD,
                    "epoch": "2025-01-01T00:00:00Z",
                    "first": first_requester,
                    "last": last_requester,
                    "start": start,
                    "stop": stop,
                },
            )
            cursor.execute(
                """
                INSERT INTO tickets_comment (body, body_html, internal, created_at, author_id, ticket_id)
                SELECT bench_words(30, %s, %s), '', false, t.created_at, %s, t.id
                FROM tickets_ticket t WHERE t.id > %s
                """,
                [VOCABULARY, SYLLABLES, agent, last_ticket],
            )
            cursor.execute(
                """
                INSERT INTO search_ticketdocument (ticket_id, subject, requester_name, requester_email, public_text,
                    internal_text, indexed_at)
                SELECT t.id, t.subject, u.name, u.email, t.description || E'\\n\\n' || c.body, '', now()
                FROM tickets_ticket t JOIN accounts_user u ON u.id = t.requester_id
                JOIN tickets_comment c ON c.ticket_id = t.id
                WHERE t.id > %s
                """,
                [last_ticket],
            )
            TicketDocument.objects.filter(ticket_id__gt=last_ticket).update(
                public_vector=_public_vector(), staff_vector=_staff_vector()
            )
            cursor.execute("SELECT max(id) FROM tickets_ticket")
            (last_ticket,) = cursor.fetchone()
            print(f"  loaded {stop:,} tickets ({time.perf_counter() - started:.0f} s)", flush=True)
        for statement in SEARCH_INDEXES.POSTGRES_FORWARDS:
            cursor.execute(statement)
        cursor.execute("VACUUM ANALYZE")
    print(f"  load to {size:,} took {time.perf_counter() - started:.0f} s", flush=True)


def first_page(agent: User, params: dict[str, str]) -> list[Ticket]:
    filterset = TicketFilter(params, queryset=ticket_list_for(agent), request=FakeRequest(agent))
    assert filterset.is_valid(), filterset.errors
    return list(filterset.qs[:PAGE])


class FakeRequest:
    def __init__(self, user: User) -> None:
        self.user = user


def scenarios(agent: User) -> list[tuple[str, dict[str, str]]]:
    email = Ticket.objects.order_by("pk").values_list("requester__email", flat=True)[123]
    newest = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first()
    return [
        ("rare word", {"q": RARE_WORD}),
        ("rare word, status=open", {"q": RARE_WORD, "status": "open"}),
        ("common word", {"q": COMMON_WORD}),
        ("common word, status=open", {"q": COMMON_WORD, "status": "open"}),
        ("two common words", {"q": f"{COMMON_WORD} error"}),  # "error": in most tickets
        ("two words, status=pending", {"q": f"{COMMON_WORD} refund", "status": "pending"}),
        ("requester address", {"q": email}),
        ("part of an address", {"q": email.split("@")[0] + "@"}),
        ("ticket number", {"q": f"#{newest}"}),
    ]


def run(size: int) -> None:
    load(size)
    agent = User.objects.filter(role=Role.AGENT).first()
    common = TicketDocument.objects.filter(public_vector=_query(COMMON_WORD)).count()
    rare = TicketDocument.objects.filter(public_vector=_query(RARE_WORD)).count()
    print(f"\n{size:,} tickets ({common:,} with “{COMMON_WORD}”, {rare:,} with “{RARE_WORD}”), {REPEAT} runs each:")
    print(f"  {'scenario':<30} {'p50 ms':>8} {'p95 ms':>8} {'rows':>5} {'queries':>8}")
    for name, params in scenarios(agent):
        first_page(agent, params)  # warm-up
        times = []
        for _ in range(REPEAT):
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                rows = first_page(agent, params)
                times.append((time.perf_counter() - began) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(f"  {name:<30} {statistics.median(times):>8.1f} {p95:>8.1f} {len(rows):>5} {len(queries):>8}", flush=True)


def _query(word: str):
    from search.selectors import _search_query

    return _search_query(word)


def main() -> None:
    if len(SIZES) > 1:  # each size in its own process, on its own database
        for size in sorted(SIZES):
            subprocess.run([sys.executable, __file__, str(size)], check=True)
        return
    call_command("migrate", verbosity=0)
    run(SIZES[0])


if __name__ == "__main__":
    main()
