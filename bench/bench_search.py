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
from search_load import COMMON_WORD, RARE_WORD, rows_insert  # noqa: E402  (bench/ is on the path)

from accounts.models import Role, User  # noqa: E402
from search.models import TicketDocument  # noqa: E402
from tickets.filters import TicketFilter  # noqa: E402
from tickets.models import Ticket  # noqa: E402
from tickets.selectors import ticket_list_for  # noqa: E402

REPEAT = int(os.environ.get("REPEAT", "15"))
PAGE = 25
REQUESTERS = 20_000
LOAD_BATCH = 100_000


def load(size: int) -> None:
    """Add tickets (and their requester, comment and search document: bench/search_load.py) until there are `size`."""
    have = Ticket.objects.count()
    if have >= size:
        return
    started = time.perf_counter()
    with connection.cursor() as cursor:
        rows_insert(cursor, have=have, size=size, requesters=REQUESTERS, batch=LOAD_BATCH)
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
