"""helpdesk/sql.py: SQL compiled once per process gives what the ORM gives, on every database the suite runs on."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet
from django.test.utils import CaptureQueriesContext

from accounts.models import ApiToken
from accounts.services import api_token_issue
from helpdesk.sql import ID_BATCH_SIZES, CompiledQuery, compiled_once, id_batches, objects_together, prepared_statements
from tests.support.processes import run_django
from tickets.models import Comment, Ticket
from tickets.services import comment_create, ticket_create


def _token_with_user(digest: str) -> QuerySet[ApiToken]:
    return ApiToken.objects.select_related("user").filter(digest=digest)


def _has_comments() -> Exists:
    return Exists(Comment.objects.filter(ticket=OuterRef("pk")))


TOKEN_LOOKUP = CompiledQuery(_token_with_user, text=True)


def test_a_lookup_finds_the_row_the_orm_finds_with_its_related_row(bob):
    api_token_issue(user=bob, name="one")
    token = ApiToken.objects.get(user=bob)

    found = TOKEN_LOOKUP.first(token.digest)
    expected = _token_with_user(token.digest).first()

    assert found is not None
    assert {k: v for k, v in vars(found).items() if k != "_state"} == {
        k: v for k, v in vars(expected).items() if k != "_state"
    }
    assert found.created_at == expected.created_at and found.created_at.tzinfo is not None  # converted as the ORM does
    assert found.user == bob and found.user.email == bob.email


def test_a_lookup_of_an_unknown_value_finds_nothing(db):
    assert TOKEN_LOOKUP.first("no such digest") is None


def test_a_lookup_must_use_its_value(db):
    unused = CompiledQuery(lambda value: ApiToken.objects.filter(name="fixed"), text=True)

    with pytest.raises(ValueError, match="must use each value"):
        unused.first("x")


def test_a_lookup_may_use_its_value_twice_and_find_every_row(alice, bob):
    api_token_issue(user=bob, name="one")
    api_token_issue(user=bob, name="two")
    api_token_issue(user=alice, name="other")
    by_user = CompiledQuery(
        lambda pk: ApiToken.objects.select_related("user").filter(Q(user_id=pk) | Q(user__pk=pk)).order_by("name")
    )

    for _ in range(2):  # the second time from the process's cache
        found = by_user.objects(bob.pk)
        assert [token.name for token in found] == ["one", "two"]
        assert all(token.user == bob for token in found)
    assert by_user.objects(-1) == []
    assert by_user.first(alice.pk).name == "other"


@pytest.mark.parametrize("count", [0, 1, 2, 5, 6, 25, 26, 99, 100, 101, 250])
def test_ids_come_in_batches_of_a_few_sizes_each_holding_only_given_ids(count):
    ids = list(range(1000, 1000 + count))

    batches = list(id_batches(ids))

    assert all(len(batch) in ID_BATCH_SIZES for batch in batches)
    assert [key for batch in batches for key in dict.fromkeys(batch)] == ids  # in order, each once but the padding


def test_a_lookup_of_a_list_of_ids_finds_every_row_of_each_batch_size(alice):
    tickets = [ticket_create(requester=alice, subject=f"T{number}") for number in range(30)]
    of_tickets = CompiledQuery(lambda *pks: Ticket.objects.filter(pk__in=pks).order_by("id"))

    for wanted in (tickets[:1], tickets[:3], tickets[:7], tickets):
        batches = id_batches([ticket.pk for ticket in wanted])
        found = [ticket for batch in batches for ticket in of_tickets.objects(*batch)]
        assert found == wanted


def test_an_annotation_compiled_once_answers_as_the_expression_does(alice, bob):
    quiet = ticket_create(requester=alice, subject="Quiet")
    busy = ticket_create(requester=alice, subject="Busy")
    comment_create(ticket=busy, author=bob, body="Hello", internal=False)
    compiled = compiled_once(Ticket, _has_comments, output_field=BooleanField())

    for _ in range(2):  # the second time from the process's cache
        rows = dict(Ticket.objects.annotate(has=compiled).values_list("pk", "has"))
        assert rows == dict(Ticket.objects.annotate(has=_has_comments()).values_list("pk", "has"))
        assert rows == {quiet.pk: False, busy.pk: True}


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL only")
def test_a_lookup_is_prepared_on_the_connection_and_finds_what_the_orm_finds(alice, bob):
    api_token_issue(user=bob, name="one")
    api_token_issue(user=alice, name="two")
    tokens = list(ApiToken.objects.order_by("name"))
    threshold = connection.connection.prepare_threshold
    assert threshold is not None  # settings.DATABASE_PREPARED_STATEMENTS is on by default

    for _ in range(threshold + 1):
        found = [TOKEN_LOOKUP.first(token.digest) for token in tokens]
        assert [(token.pk, token.user) for token in found] == [(token.pk, token.user) for token in tokens]
        assert found[0].created_at == tokens[0].created_at and found[0].created_at.tzinfo is not None
    assert TOKEN_LOOKUP.first("no such digest") is None

    assert any('"accounts_apitoken"."digest" = $1' in statement for statement in _prepared_statements())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL only")
def test_a_query_whose_best_plan_depends_on_its_value_is_not_prepared(bob):
    api_token_issue(user=bob, name="one")
    by_owner = CompiledQuery(lambda pk: ApiToken.objects.filter(user_id=pk).order_by("-created_at"), prepared=False)

    for _ in range(connection.connection.prepare_threshold + 1):
        assert [token.name for token in by_owner.objects(bob.pk)] == ["one"]

    assert not any('"accounts_apitoken"."user_id" =' in statement for statement in _prepared_statements())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL only")
def test_a_lookup_is_logged_with_its_values_while_queries_are_counted(bob):
    api_token_issue(user=bob, name="one")
    token = ApiToken.objects.get()

    with CaptureQueriesContext(connection) as captured:
        assert TOKEN_LOOKUP.first(token.digest) == token

    assert len(captured) == 1 and token.digest in captured[0]["sql"]  # psycopg keeps no text of a prepared query


def test_prepared_statements_can_be_turned_off_for_a_pooler_that_cannot_keep_them(tmp_path):
    show = "from django.conf import settings as s; print(s.DATABASES['default']['OPTIONS'].get('prepare_threshold'))"
    postgres = {"DATABASE_URL": "postgres://u@db:5432/hd"}  # settings only: no connection is made

    assert run_django(show, postgres, tmp_path).stdout.split() == ["5"]
    assert run_django(show, {**postgres, "DATABASE_PREPARED_STATEMENTS": "false"}, tmp_path).stdout.split() == ["None"]


def _open_ticket_ids() -> list[tuple[int, str]]:
    return list(
        Ticket.objects.filter(status__in=["new", "open"]).order_by("-created_at", "-id").values_list("pk", "subject")
    )


def test_the_orm_queries_of_a_prepared_block_find_what_they_find_unprepared(alice, bob):
    for subject in ("one", "two", "three"):
        ticket_create(requester=alice, actor=alice, subject=subject, description="d")
    expected = _open_ticket_ids()
    assert [subject for _pk, subject in expected] == ["three", "two", "one"]
    rounds = (connection.connection.prepare_threshold or 0) + 1 if connection.vendor == "postgresql" else 1

    with prepared_statements():
        for _ in range(rounds):
            assert _open_ticket_ids() == expected

    if connection.vendor == "postgresql":
        assert any('"tickets_ticket"."status" IN ($1, $2)' in statement for statement in _prepared_statements())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL only")
def test_a_block_not_wanted_or_whose_queries_are_counted_prepares_nothing(bob):
    def by_subject(subject: str) -> list[int]:
        return list(Ticket.objects.filter(subject=subject).values_list("pk", flat=True))

    with prepared_statements(when=False):
        for _ in range(connection.connection.prepare_threshold + 1):
            assert by_subject("not wanted") == []
    with CaptureQueriesContext(connection) as captured, prepared_statements():
        assert by_subject("counted") == []

    assert "counted" in captured[0]["sql"]
    assert not any('"tickets_ticket"."subject" = $1' in statement for statement in _prepared_statements())


def test_the_usual_cursors_come_back_after_the_block_even_after_an_error(db):
    connection.ensure_connection()
    usual = getattr(connection.connection, "cursor_factory", None)

    with pytest.raises(ZeroDivisionError), prepared_statements():
        Ticket.objects.count() / 0

    assert getattr(connection.connection, "cursor_factory", None) is usual


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL only")
def test_a_block_binds_nothing_on_the_server_when_preparing_is_off(db):
    connection.ensure_connection()
    psycopg_connection = connection.connection
    usual, threshold = psycopg_connection.cursor_factory, psycopg_connection.prepare_threshold
    psycopg_connection.prepare_threshold = None  # what DATABASE_PREPARED_STATEMENTS=false leaves
    try:
        with prepared_statements():
            assert psycopg_connection.cursor_factory is usual
    finally:
        psycopg_connection.prepare_threshold = threshold


def _tickets_of(requester_id: int) -> QuerySet[Ticket]:
    return Ticket.objects.filter(requester=requester_id).order_by("id")


TICKETS_OF = CompiledQuery(_tickets_of)


def test_queries_sent_together_find_what_each_finds_alone(alice, bob):
    api_token_issue(user=bob, name="one")
    token = ApiToken.objects.get(user=bob)
    mine = [ticket_create(requester=alice, subject=f"Mine {number}") for number in range(2)]

    for _ in range(3):  # on PostgreSQL: prepared from the second run (settings.DATABASE_PREPARED_STATEMENTS)
        tokens, tickets, none = objects_together(
            TOKEN_LOOKUP.call(token.digest), TICKETS_OF.call(alice.pk), TICKETS_OF.call(bob.pk)
        )
        assert [(found.pk, found.user) for found in tokens] == [(token.pk, bob)]
        assert [(found.pk, found.subject) for found in tickets] == [(ticket.pk, ticket.subject) for ticket in mine]
        assert tickets[0].created_at == mine[0].created_at and tickets[0].created_at.tzinfo is not None
        assert none == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pipeline mode: PostgreSQL only")
def test_queries_sent_together_go_in_one_pipeline_on_postgresql(alice, monkeypatch):
    pipelines = []
    opened = connection.connection.pipeline

    def pipeline():
        pipelines.append(True)
        return opened()

    monkeypatch.setattr(connection.connection, "pipeline", pipeline)
    ticket_create(requester=alice, subject="Together")

    tickets, more = objects_together(TICKETS_OF.call(alice.pk), TICKETS_OF.call(alice.pk))

    assert len(pipelines) == 1
    assert [ticket.subject for ticket in tickets] == [ticket.subject for ticket in more] == ["Together"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pipeline mode: PostgreSQL only")
def test_an_error_in_queries_sent_together_is_the_orms_error_and_the_connection_goes_on(alice):
    from django.db import DatabaseError, transaction

    broken = CompiledQuery(lambda requester_id: Ticket.objects.filter(requester=requester_id).extra(where=["1/0 = 1"]))

    with pytest.raises(DatabaseError), transaction.atomic():
        objects_together(TICKETS_OF.call(alice.pk), broken.call(alice.pk))

    assert objects_together(TICKETS_OF.call(alice.pk)) == [[]]
