"""Schemathesis fuzzes the live schema as a requester and as an agent: no 5xx, every response as documented,
and a requester never reaches another user's ticket, comment or attachment.

The API runs in-process as a WSGI app inside the test's transaction, so the seeded objects are visible and
nothing outlives the test. Bounded and deterministic: a few derandomized examples per operation.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis import BaseSchema, Case, CheckContext, Response
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import User
from accounts.services import api_token_issue
from automations.models import Rule
from forms_builder.models import Form
from macros.models import Macro
from queues.services import saved_view_create
from sla.models import SlaPolicy
from tests.conftest import Cast, alices_ticket, billing_category, make_cast, support_team
from tests.forms_builder.api.support import bug_report_form
from tests.support.hostile import nested, query_value
from tests.support.schema import published_schema
from tests.support.shared_data import rows_for_the_module
from tickets.models import Attachment, Category
from tickets.services import comment_create, ticket_create
from webhooks.services import webhook_endpoint_create

SCHEMA_PATH = "/api/v1/schema/"
MISSING_ID = 987_654_321
MISSING_SLUG = "no-such-form"
GENEROUS_RATE = "100000/m"

# Valid requests only: the budget goes on the responses the API owes a correct client. (An exploratory run with
# invalid requests too, 60 examples per operation, found nothing more; it takes minutes, not seconds.)
CONTRACT = {"generation": {"mode": "positive"}}
NO_COVERAGE = {**CONTRACT, "phases": {"coverage": {"enabled": False}}}
CONTRACT_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def a_file(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"attachment content", content_type="text/plain")


@dataclass
class World:
    """What the fuzzer aims at: objects alice may read, and objects she may not (mallory's, and internal notes)."""

    cast: Cast
    media: Path  # where its attachments' files are
    ids: dict[str, list[Any]] = field(default_factory=dict)  # by path parameter kind: ids, or slugs for forms
    hidden_from_requester: dict[str, set[Any]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Built once for the module's tests (tests/support/shared_data.py): building it for each of ~260 tests was a
    third of their time."""
    media = tmp_path_factory.mktemp("world-media")
    with (
        override_settings(MEDIA_ROOT=media),
        rows_for_the_module(django_db_blocker),
    ):
        yield build_world(media)


@pytest.fixture(autouse=True)
def world_attachments_are_found(_fast_and_isolated: None, settings: Any, world: World) -> None:
    settings.MEDIA_ROOT = world.media


def build_world(media: Path) -> World:
    cast = make_cast()
    alice, mallory, bob, carol = cast.alice, cast.mallory, cast.bob, cast.carol
    team = support_team(bob)
    category = billing_category(team)
    ticket = alices_ticket(alice, category)
    comment_create(ticket=ticket, author=alice, body="Here is the invoice.", files=[a_file("a.txt")])
    note = comment_create(ticket=ticket, author=bob, body="Refund pending.", internal=True, files=[a_file("n.txt")])
    mallory_ticket = ticket_create(requester=mallory, subject="Mallory's", category=category, files=[a_file("m.txt")])
    comment_create(ticket=mallory_ticket, author=mallory, body="Private.", files=[a_file("m2.txt")])
    retired = Category.objects.create(name="Retired", slug="retired", is_active=False)
    usable_form = bug_report_form(category=category, admin=carol)
    retired_form = bug_report_form(category=category, admin=carol, slug="retired-form")
    Form.objects.filter(pk=retired_form.pk).update(is_active=False)
    draft_form = Form.objects.create(name="Draft", slug="draft-form", category=category, subject_template="x")
    attachments = Attachment.objects.filter(ticket__in=[ticket, mallory_ticket])
    # Spare tokens to aim at. The run's own (the actor's, issued later) is never among them, so a generated DELETE
    # revokes a spare and never the token every later request of the run depends on.
    alice_spare, _ = api_token_issue(user=alice, name="spare")
    bob_spare, _ = api_token_issue(user=bob, name="spare")
    mallory_token, _ = api_token_issue(user=mallory, name="mallory's")
    return World(
        cast=cast,
        media=media,
        ids={
            "tickets": [ticket.pk, mallory_ticket.pk],
            "attachments": [*attachments.values_list("pk", flat=True)],
            "categories": [category.pk, retired.pk],
            "teams": [team.pk],
            "users": [alice.pk, mallory.pk, bob.pk, carol.pk],
            "forms": [usable_form.slug, retired_form.slug, draft_form.slug],
            "tokens": [alice_spare.pk, bob_spare.pk, mallory_token.pk],
            "automation": [Rule.objects.create(name="Tag", trigger="ticket_created", add_tags="x").pk],
            "sla": [SlaPolicy.objects.create(name="Standard").pk],
            "views": [saved_view_create(owner=bob, name="Open", conditions={"status": "new,open"}, team=team).pk],
            "macros": [Macro.objects.create(name="Thanks", body="Thank you", owner=bob).pk],
            "webhooks": [webhook_endpoint_create(url="https://93.184.216.34/hooks", actor=carol, is_active=False).pk],
        },
        hidden_from_requester={
            "tickets": {mallory_ticket.pk},
            "attachments": {
                *attachments.filter(ticket=mallory_ticket).values_list("pk", flat=True),
                *note.attachments.values_list("pk", flat=True),
            },
            "categories": {retired.pk},
            "forms": {retired_form.slug, draft_form.slug},  # hidden from everyone, staff too
            "tokens": {bob_spare.pk, mallory_token.pk},  # everyone sees only their own, staff too
        },
    )


def test_each_test_sees_the_world_and_its_files(world: World, api_client_for: Callable[[User], Any]) -> None:
    """The checks below pass vacuously if the shared world were out of sight: alice reads her ticket and file."""
    client = api_client_for(world.cast.alice)
    ticket_id, attachment_id = world.ids["tickets"][0], world.ids["attachments"][0]
    assert client.get(f"/api/v1/tickets/{ticket_id}/").status_code == 200
    download = client.get(f"/api/v1/attachments/{attachment_id}/download")
    assert (download.status_code, b"".join(download.streaming_content)) == (200, b"attachment content")


def id_kind(path: str, parameter: str) -> str:
    """`/api/v1/tickets/{ticket_id}/comments/` names a ticket; `/api/v1/users/{id}/` a user; `/api/v1/auth/tokens/{id}/`
    a token."""
    if parameter == "ticket_id":
        return "tickets"
    return path.removeprefix("/api/v1/").removeprefix("auth/").split("/")[0]


def aim_at_seeded_objects(case: Case, world: World) -> None:
    """Random ids almost never exist: map each generated id onto a seeded object, or keep it as a missing one."""
    for name, value in (case.path_parameters or {}).items():
        pool = world.ids.get(id_kind(case.operation.path, name), [])
        if pool and str(value).isdigit():  # the coverage phase sends ids as strings
            choices = [*pool, MISSING_ID]
            case.path_parameters[name] = choices[int(value) % len(choices)]
        elif pool and isinstance(pool[0], str):  # slugs: any generated one stands for a seeded or a missing one
            choices = [*pool, MISSING_SLUG]
            case.path_parameters[name] = choices[len(str(value)) % len(choices)]


@dataclass(frozen=True)
class Actor:
    role: str
    user: User
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(params=["requester", "agent"])
def actor(request: pytest.FixtureRequest, world: World) -> Actor:
    user = {"requester": world.cast.alice, "agent": world.cast.bob}[request.param]
    _, token = api_token_issue(user=user, name="schemathesis")
    return Actor(role=request.param, user=user, token=token)


def requester_never_reaches_hidden_objects(world: World, actor: Actor) -> Callable[..., None]:
    def requester_never_reaches_hidden_objects(ctx: CheckContext, response: Response, case: Case) -> None:
        if actor.role != "requester":
            return
        for name, value in (case.path_parameters or {}).items():
            if value not in world.hidden_from_requester.get(id_kind(case.operation.path, name), set()):
                continue
            # A staff-only part of a ticket refuses a requester alike for every ticket: a 403 reveals nothing.
            staff_only = case.operation.path in STAFF_ONLY_TICKET_PATHS and response.status_code == 403
            expected_404 = case.method.upper() == "GET" and not staff_only
            if (expected_404 and response.status_code != 404) or 200 <= response.status_code < 300:
                raise AssertionError(
                    f"{case.method} {case.formatted_path} as a requester answered {response.status_code} "
                    "for an object that is not theirs"
                )

    return requester_never_reaches_hidden_objects


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def loopback(handler: WsgiApp) -> WsgiApp:
    """Like a real server, every request has a client address (the rate limits count by it)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ.setdefault("REMOTE_ADDR", "127.0.0.1")
        return handler(environ, start_response)

    return app


@pytest.fixture
def in_test_transaction() -> Iterator[None]:
    """Django's own test client trick: a finished request must not close the connection that holds the test's
    transaction, or the seeded rows vanish mid-test."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def generous_rate_limits(settings: Any) -> None:
    settings.RATE_LIMIT_READS = settings.RATE_LIMIT_WRITES = settings.RATE_LIMIT_CREDENTIALS = GENEROUS_RATE


APP = loopback(WSGIHandler())


def served_schema(config: dict[str, Any]) -> BaseSchema:
    """The schema the app serves (read once per process, tests/support/schema.py), to run against the app."""
    loaded = schemathesis.openapi.from_dict(
        copy.deepcopy(published_schema()), config=schemathesis.Config.from_dict(config)
    )
    loaded.app, loaded.location = APP, SCHEMA_PATH
    return loaded


# Loaded at collection: one test per operation (and per actor). The requester's run has no coverage phase: its
# boundary values mostly meet the refusal of the staff endpoints, the agent's run already walks them through the
# code behind, and they were half the run's time. The requester keeps the generated examples, so the check that
# she never reaches hidden objects runs as before.
schema = served_schema(CONTRACT)
requester_schema = served_schema(NO_COVERAGE)


def derandomized(max_examples: int) -> hypothesis.settings:
    """A few examples, the same on every run."""
    return hypothesis.settings(
        max_examples=max_examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
    )


def assert_keeps_the_contract(case: Case, world: World, actor: Actor) -> None:
    aim_at_seeded_objects(case, world)
    case.call_and_validate(
        headers=actor.headers,
        checks=CONTRACT_CHECKS,
        additional_checks=[requester_never_reaches_hidden_objects(world, actor)],
    )


@schema.parametrize()
@derandomized(max_examples=6)
@pytest.mark.parametrize("actor", ["agent"], indirect=True)
def test_the_api_keeps_its_documented_contract(
    case: Case, world: World, actor: Actor, in_test_transaction: None
) -> None:
    assert_keeps_the_contract(case, world, actor)


@requester_schema.parametrize()
@derandomized(max_examples=6)
@pytest.mark.parametrize("actor", ["requester"], indirect=True)
def test_the_api_keeps_its_documented_contract_for_a_requester(
    case: Case, world: World, actor: Actor, in_test_transaction: None
) -> None:
    assert_keeps_the_contract(case, world, actor)


# Id-bearing reads where a requester may use the endpoint but not every object: another user's must be a 404.
OBJECT_SCOPED_KINDS = {"tickets", "attachments", "categories", "forms", "tokens"}
# Endpoints a requester may not use at all: every id, theirs, another user's or none, gets the same refusal.
ROLE_SCOPED_KINDS = {"users", "teams", "automation", "sla", "views", "macros", "webhooks"}
# Staff-only parts of a ticket: a requester is refused the same way whichever ticket, hers or not, the id names.
STAFF_ONLY_TICKET_PATHS = {"/api/v1/tickets/{ticket_id}/links/"}
ID_BEARING_READS = sorted(path for path, item in schema.raw_schema["paths"].items() if "{" in path and "get" in item)


def path_parameter(path: str) -> str:
    """The path's first id: the object whose existence must not show. Any later one is filled with a seeded id."""
    return re.findall(r"{(\w+)}", path)[0]


def with_later_ids_filled(path: str, world: World) -> str:
    for name in re.findall(r"{(\w+)}", path)[1:]:
        path = path.replace(f"{{{name}}}", str(world.ids[id_kind(path, name)][0]))
    return path


@pytest.mark.parametrize("path", ID_BEARING_READS)
def test_a_requester_cannot_tell_another_users_object_from_a_missing_one(
    path: str, world: World, api_client_for: Callable[[User], Any]
) -> None:
    mallory, bob = world.cast.mallory, world.cast.bob
    client = api_client_for(world.cast.alice)
    name = path_parameter(path)
    kind = id_kind(path, name)
    staff_only = path in STAFF_ONLY_TICKET_PATHS
    path = with_later_ids_filled(path, world)
    missing = client.get(path.replace(f"{{{name}}}", str(MISSING_ID)))
    if staff_only:
        others = set(world.ids[kind])
    elif kind in OBJECT_SCOPED_KINDS:
        others = world.hidden_from_requester[kind]
        assert missing.status_code == 404
    else:
        assert kind in ROLE_SCOPED_KINDS, f"{path}: say whether a requester's access is per object or per role"
        others = {mallory.pk, bob.pk} if kind == "users" else set(world.ids[kind])
    assert others
    for other in others:
        response = client.get(path.replace(f"{{{name}}}", str(other)))
        assert (response.status_code, response.json()) == (missing.status_code, missing.json()), other


# --- The same operations fed hostile values ----------------------------------------------------------------------
# Valid requests from the schema, each with one value replaced by a hostile one (tests/support/hostile.py): a NUL or
# a lone surrogate in a string, JSON nested past the limit, a huge or non-finite number, an odd cursor. Every
# answer must be a 4xx with the error body or a success; never a 5xx.

# The same schema again. No coverage phase here: its cases are built without the hooks below, so they would
# repeat the contract test's valid requests rather than carry a hostile value.
hostile_schema = served_schema(NO_COVERAGE)
# The transport refuses non-finite numbers (tests/helpdesk/test_hostile_input_properties.py sends them raw).
ENCODABLE_VALUES = ["\x00", "a\x00b", "\x1b[31m", "\u202e", 1e308, 2**70, -(2**64)]
JSON_ONLY_VALUES = ["\ud800", "x\udfff"]  # a multipart body is UTF-8: it cannot carry a lone surrogate at all
DEEP = st.integers(min_value=33, max_value=60).map(nested)


def _with_one_value_replaced(data: Any, replacement: Any, which: int) -> Any:
    """`data` with its `which`-th leaf (modulo their number) replaced; a top-level value if it has no leaves."""
    leaves = []
    pending: list[tuple[Any, Any]] = [(None, data)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, dict):
            pending.extend(((path or ()) + (key,), item) for key, item in value.items())
        elif isinstance(value, list):
            pending.extend(((path or ()) + (index,), item) for index, item in enumerate(value))
        elif path is not None:
            leaves.append(path)
    if not leaves:
        return replacement if not isinstance(data, dict) else {**data, "hostile": replacement}
    target = leaves[which % len(leaves)]
    copied = json.loads(json.dumps(data))
    holder = copied
    for step in target[:-1]:
        holder = holder[step]
    holder[target[-1]] = replacement
    return copied


@hostile_schema.hook
def flatmap_case(context: Any, case: Case) -> st.SearchStrategy[Case]:
    if case.body is None or not isinstance(case.body, dict | list):
        return st.just(case)
    is_json = (case.media_type or "").endswith("json")
    values = st.one_of(st.sampled_from(ENCODABLE_VALUES + (JSON_ONLY_VALUES if is_json else [])), DEEP)

    def replaced(value: Any, which: int) -> Case:
        # A new case rather than an edit of the generated one: schemathesis re-checks an edited body against the
        # schema before sending it, and its validator cannot take a lone surrogate (UnicodeEncodeError).
        return case.operation.Case(
            path_parameters=case.path_parameters,
            headers=case.headers,
            cookies=case.cookies,
            query=case.query,
            body=_with_one_value_replaced(case.body, value, which),
            media_type=case.media_type,
            multipart_content_types=case.multipart_content_types,
        )

    return st.builds(replaced, values, st.integers(min_value=0, max_value=99))


@hostile_schema.hook
def flatmap_query(context: Any, query: Any) -> st.SearchStrategy[Any]:
    """Query strings carry no lone surrogate (no URL encodes one): NUL, control characters, numbers, cursors."""
    names = sorted(query or {}) or ["cursor"]
    return st.builds(lambda name, value: {**(query or {}), name: value}, st.sampled_from(names), query_value())


def error_body_on_client_errors(ctx: CheckContext, response: Response, case: Case) -> None:
    if 400 <= response.status_code < 500 and response.status_code != 405:
        body = response.json()
        assert set(body) == {"error"} and body["error"]["code"], (case.method, case.formatted_path, body)


@hostile_schema.parametrize()
@derandomized(max_examples=4)
def test_hostile_values_get_a_client_error_never_a_server_error(
    case: Case, world: World, actor: Actor, in_test_transaction: None
) -> None:
    aim_at_seeded_objects(case, world)
    case.call_and_validate(
        headers=actor.headers, checks=[not_a_server_error], additional_checks=[error_body_on_client_errors]
    )
