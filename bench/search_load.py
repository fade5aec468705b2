"""bench/bench_search.py's rows, written by PostgreSQL with generate_series: requesters, tickets with realistic
text, one public comment each and its search document. Here, not in that script: it sets Django up on its own
database when imported, and tests/helpdesk/test_bench_load_postgres.py loads a few with this very SQL."""

from __future__ import annotations

import importlib
import time
from typing import Any

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


def rows_insert(cursor: Any, *, have: int, size: int, requesters: int, batch: int) -> None:
    """Tickets `have` + 1 to `size` (and `requesters` requesters, once), in batches of `batch`; the search indexes
    are dropped first and built once at the end, as a restore would: far quicker than row by row."""
    from accounts.models import Role, User
    from search.models import TicketDocument
    from search.services import _public_vector, _staff_vector

    indexes = importlib.import_module("search.migrations.0002_search_indexes")
    started = time.perf_counter()
    for statement in indexes.POSTGRES_BACKWARDS:
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
        [requesters],
    )
    cursor.execute("SELECT min(id), max(id) FROM accounts_user WHERE role = 'requester'")
    first_requester, last_requester = cursor.fetchone()
    agent = User.objects.filter(role=Role.AGENT).values_list("pk", flat=True).first()
    for start in range(have, size, batch):
        stop = min(start + batch, size)
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
    for statement in indexes.POSTGRES_FORWARDS:
        cursor.execute(statement)
