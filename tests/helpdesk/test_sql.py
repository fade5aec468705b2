"""helpdesk/sql.py: SQL compiled once per process gives what the ORM gives, on every database the suite runs on."""

from __future__ import annotations

import pytest
from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet

from accounts.models import ApiToken
from accounts.services import api_token_issue
from helpdesk.sql import CompiledQuery, compiled_once
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


def test_an_annotation_compiled_once_answers_as_the_expression_does(alice, bob):
    quiet = ticket_create(requester=alice, subject="Quiet")
    busy = ticket_create(requester=alice, subject="Busy")
    comment_create(ticket=busy, author=bob, body="Hello", internal=False)
    compiled = compiled_once(Ticket, _has_comments, output_field=BooleanField())

    for _ in range(2):  # the second time from the process's cache
        rows = dict(Ticket.objects.annotate(has=compiled).values_list("pk", "has"))
        assert rows == dict(Ticket.objects.annotate(has=_has_comments()).values_list("pk", "has"))
        assert rows == {quiet.pk: False, busy.pk: True}
