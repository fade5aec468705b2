"""Migrate django-helpdesk's database and fill it with our bench's tickets, then print a signed-in session.

`python load.py <source database URL>`, in django-helpdesk's virtualenv, from this folder, with DH_DATABASE_URL;
`python load.py queries <session> <JSON list of paths>` counts the queries each path makes for that session.
The source is our own bench database at the same size (bench_10k): every team becomes a queue, every agent a staff
user, every ticket a ticket with the same id, subject, description, times, assignee and requester's address, every
comment a follow-up (an internal note a private one). The copy is made once and kept while it holds as many tickets
as the source; the last line printed is JSON: {"session": <key>, "tickets": <count>}.
"""

import json
import os
import sys
from collections.abc import Callable

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
django.setup()

import psycopg  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.http import HttpResponse  # noqa: E402

from helpdesk.models import FollowUp, Queue, Ticket  # noqa: E402

AGENT_EMAIL = "agent@bench.test"
STATUS = {"new": Ticket.OPEN_STATUS, "open": Ticket.OPEN_STATUS, "pending": Ticket.OPEN_STATUS}
STATUS |= {"resolved": Ticket.RESOLVED_STATUS, "closed": Ticket.CLOSED_STATUS}
PRIORITY = {40: 1, 30: 2, 20: 3, 10: 4}  # urgent, high, normal, low → its critical, high, normal, low
BATCH = 5_000


def copy_from(source_url: str) -> None:
    User = get_user_model()
    with psycopg.connect(source_url) as source, transaction.atomic():
        Queue.objects.all().delete()
        User.objects.all().delete()
        teams = source.execute("SELECT id, name FROM tickets_team ORDER BY id").fetchall()
        Queue.objects.bulk_create(Queue(id=pk, title=name, slug=f"team-{pk}") for pk, name in teams)
        agents = source.execute("SELECT id, email, name FROM accounts_user WHERE role <> 'requester'").fetchall()
        for pk, email, name in agents:  # one by one: its signal gives each user their helpdesk settings
            User.objects.create(id=pk, username=email, email=email, first_name=name[:150], is_staff=True)
        staff = {pk for pk, _, _ in agents}
        tickets = source.execute(
            "SELECT t.id, t.subject, t.description, t.status, t.priority, t.team_id, t.assignee_id, u.email, "
            "t.created_at, t.updated_at, t.resolved_at FROM tickets_ticket t "
            "JOIN accounts_user u ON u.id = t.requester_id ORDER BY t.id"
        )
        batch = []
        times = []
        for pk, subject, description, status, priority, team, assignee, email, created, updated, resolved in tickets:
            times.append((pk, created, updated))
            batch.append(
                Ticket(
                    id=pk,
                    title=subject,
                    description=description,
                    status=STATUS[status],
                    on_hold=status == "pending",
                    priority=PRIORITY[priority],
                    queue_id=team,  # every bench ticket has a team (bench/pg_data.py)
                    assigned_to_id=assignee,
                    submitter_email=email,
                    resolution="Resolved." if resolved else None,
                )
            )
            if len(batch) == BATCH:
                Ticket.objects.bulk_create(batch)
                batch = []
        Ticket.objects.bulk_create(batch)
        # Inserting sets `created` and `modified` to now (auto_now_add, auto_now): put the source's times back.
        with connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE helpdesk_ticket SET created = %s, modified = %s WHERE id = %s",
                [(created, updated, pk) for pk, created, updated in times],
            )
        comments = source.execute(
            "SELECT ticket_id, author_id, body, internal, created_at FROM tickets_comment ORDER BY id"
        )
        batch = []
        for ticket, author, body, internal, created in comments:
            user = author if author in staff else None
            batch.append(FollowUp(ticket_id=ticket, user_id=user, title="Comment", comment=body, public=not internal))
            batch[-1].date = created
            if len(batch) == BATCH:
                FollowUp.objects.bulk_create(batch)
                batch = []
        FollowUp.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        for model in (Queue, Ticket, FollowUp, User):
            table = model._meta.db_table
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


def signed_in_session() -> str:
    """A session for the agent (a staff user who is not a superuser, as our bench's agent is an agent)."""
    agent = get_user_model().objects.get(email=AGENT_EMAIL)
    session = SessionStore()
    session[SESSION_KEY] = str(agent.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = agent.get_session_auth_hash()
    session.create()
    return session.session_key


def prepare(source_url: str) -> dict[str, object]:
    call_command("migrate", verbosity=0, interactive=False)
    with psycopg.connect(source_url) as source:
        wanted = source.execute("SELECT count(*) FROM tickets_ticket").fetchone()[0]
    if Ticket.objects.count() != wanted or not get_user_model().objects.filter(email=AGENT_EMAIL).exists():
        copy_from(source_url)
    return {"session": signed_in_session(), "tickets": Ticket.objects.count()}


def queries(session: str, paths: list[str]) -> dict[str, int]:
    """The queries each path makes for the signed-in agent, counted on a second request (the first fills caches)."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies["sessionid"] = session
    counts = {}
    for path in paths:
        client.get(path)
        counts[path] = queries_of(lambda path=path: client.get(path))
    return counts


def queries_of(request: Callable[[], HttpResponse]) -> int:
    """Counted as they run: Django's own query log keeps only the last 9,000."""
    ran = 0

    def count(execute: Callable[..., object], *args: object) -> object:
        nonlocal ran
        ran += 1
        return execute(*args)

    with connection.execute_wrapper(count):
        response = request()
    assert response.status_code == 200, (response.request, response.status_code)
    return ran


if __name__ == "__main__":
    counting = sys.argv[1] == "queries"
    print(json.dumps(queries(sys.argv[2], json.loads(sys.argv[3])) if counting else prepare(sys.argv[1])))
