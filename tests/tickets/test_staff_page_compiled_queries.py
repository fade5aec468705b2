"""The staff ticket page's queries compiled once (helpdesk.sql.CompiledQuery) read what the ORM reads: the ticket
with its requester, intake answers, badges and tags; the requester's other tickets; the triage form's options; the
ticket's mail; the macros. Users who do not see every ticket get the ORM's own queries, compiled for them. A view of
the page after the first compiles no query at all."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from unittest.mock import patch

import pytest
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import user_create
from inbound.models import InboundStatus, Reason
from inbound.selectors import ticket_page_mail
from macros.models import Macro, MacroVisibility
from macros.selectors import macros_for_ticket_page, macros_visible_to
from sla.models import Metric, SlaClock
from tests.conftest import PASSWORD
from tests.support.stored_mail import stored_mail
from tickets.forms import TicketPropertiesForm
from tickets.models import Category, Comment, Tag, Team, Ticket
from tickets.selectors import (
    categories_visible_to,
    requester_other_tickets,
    requester_other_tickets_of,
    sees_every_ticket,
    staff_ticket_badges,
    staff_ticket_page_for,
)
from tickets.services import ticket_create
from tickets.staff_page import requester_others, staff_page_ticket

HOSTILE = "<b>\"Tom\" & 'Jerry'</b>"


def test_staff_see_every_ticket_and_requesters_do_not(alice, bob, carol):
    assert sees_every_ticket(bob)
    assert sees_every_ticket(carol)
    assert not sees_every_ticket(alice)


def test_the_ticket_is_read_as_the_orm_reads_it(bob, ticket):
    ticket.tags.add(Tag.objects.create(name="vip"), Tag.objects.create(name="billing"))
    expected = staff_ticket_badges(staff_ticket_page_for(bob).get(pk=ticket.pk))

    for _ in range(2):  # compiled on the first call, reused on the second
        found = staff_page_ticket(bob, ticket.pk)

        fields = [field.attname for field in Ticket._meta.concrete_fields]
        assert [getattr(found, name) for name in fields] == [getattr(expected, name) for name in fields]
        assert found.requester == expected.requester
        assert found.requester.display_name == expected.requester.display_name
        assert (found.has_running_clocks, found.has_survey) == (False, False)
        assert found.running_sla_clocks == [] and found.latest_surveys == []
        with CaptureQueriesContext(connection) as captured:
            assert [tag.name for tag in found.tags.all()] == ["billing", "vip"]
        assert len(captured) == 0, "the tags are read with the ticket"


def test_a_missing_or_impossible_ticket_is_404(bob, db):
    for pk in (424242, 2**63 - 1, 2**63, 10**30):
        with pytest.raises(Http404):
            staff_page_ticket(bob, pk)


def test_the_page_of_an_impossible_ticket_number_is_404(bob, client_for, db):
    assert client_for(bob).get(reverse("staff_ticket_detail", args=[10**30])).status_code == 404


def test_who_does_not_see_every_ticket_is_read_through_the_orm(alice, mallory, category, ticket):
    others = ticket_create(requester=mallory, subject="Not alice's", description="x", category=category)

    assert staff_page_ticket(alice, ticket.pk) == ticket
    with pytest.raises(Http404):
        staff_page_ticket(alice, others.pk)
    assert requester_others(alice, ticket) == requester_other_tickets(alice, ticket)


def test_the_requesters_other_tickets_are_those_the_selector_gives(alice, bob, category, ticket):
    for number in range(12):
        ticket_create(requester=alice, subject=f"{HOSTILE} {number}", description="x", category=category)

    shown = requester_others(bob, ticket)

    assert [(t.pk, t.subject, t.status) for t in shown] == [
        (t.pk, t.subject, t.status) for t in requester_other_tickets(bob, ticket)
    ]
    assert len(shown) == 10


@pytest.fixture
def gone_agent(db):
    agent = user_create(email="gone@example.com", password=PASSWORD, name=HOSTILE, role=Role.AGENT)
    agent.is_active = False
    agent.save()
    return agent


@pytest.mark.parametrize("assigned", [False, True], ids=["unassigned", "assigned to a deactivated agent"])
def test_the_triage_options_are_the_fields_own_rows(bob, carol, gone_agent, ticket, assigned):
    Team.objects.create(name=HOSTILE)
    Category.objects.create(name=HOSTILE, slug="hostile")
    user_create(email="noname@example.com", password=PASSWORD, name="", role=Role.AGENT)
    Ticket.objects.filter(pk=ticket.pk).update(assignee=gone_agent if assigned else None)
    ticket.refresh_from_db()
    form = TicketPropertiesForm(ticket=ticket, categories=categories_visible_to(bob))

    form.read_choices()

    for name in ("assignee", "team", "category"):
        field = form.fields[name]
        expected = [("", field.empty_label), *((row.pk, str(row)) for row in field.queryset)]
        assert list(field.widget.choices) == expected
    assignees = [value for value, _label in form.fields["assignee"].widget.choices]
    assert (gone_agent.pk in assignees) is assigned
    assert User.objects.get(email="noname@example.com").pk in assignees
    assert "<b>" not in str(form["team"])
    assert "&lt;b&gt;&quot;Tom&quot;" in str(form["team"])


def test_the_queries_compiled_once_are_the_same_sql_for_every_user_who_sees_every_ticket(bob, carol, db):
    # What makes compiling them once for all of these users right: nothing in them depends on who asks.
    other_agent = user_create(email="agent2@example.com", password=PASSWORD, role=Role.AGENT)
    staff = [bob, carol, other_agent]
    assert all(sees_every_ticket(user) for user in staff)

    def sql(queryset) -> tuple[str, tuple]:
        return queryset.query.get_compiler(using="default").as_sql()

    assert len({sql(staff_ticket_page_for(user).filter(pk=1)) for user in staff}) == 1
    others = {sql(requester_other_tickets_of(user, requester_id=2, ticket_id=1)) for user in staff}
    assert len(others) == 1


def orm_compilations(read: Callable[[], object]) -> list[str]:
    """The SQL of each query the ORM compiles while `read` runs."""
    compiled: list[str] = []
    as_sql = SQLCompiler.as_sql

    def spy(compiler: SQLCompiler, *args, **kwargs):
        sql, params = as_sql(compiler, *args, **kwargs)
        compiled.append(sql)
        return sql, params

    with patch.object(SQLCompiler, "as_sql", spy):
        read()
    return compiled


@pytest.mark.parametrize("with_clocks", [False, True], ids=["no SLA clocks", "running SLA clocks"])
def test_a_second_view_of_the_page_compiles_no_query(bob, ticket, client_for, with_clocks):
    Macro.objects.create(name="Thanks", body="Thanks!", owner=bob, visibility=MacroVisibility.EVERYONE)
    stored_mail(ticket, status=InboundStatus.QUARANTINED, reason=Reason.UNVERIFIED_SENDER)
    if with_clocks:
        now = timezone.now()
        SlaClock.objects.create(
            ticket=ticket,
            metric=Metric.RESOLUTION,
            target_minutes=60,
            started_at=now,
            counted_until=now,
            due_at=now + timedelta(minutes=60),
        )
    client = client_for(bob)
    page = reverse("staff_ticket_detail", args=[ticket.pk])
    first = client.get(page)
    assert first.status_code == 200
    assert ("Resolution due in" in first.content.decode()) == with_clocks

    compiled = orm_compilations(lambda: client.get(page))

    assert compiled == []


def test_the_running_clocks_are_read_as_the_orm_reads_them(bob, ticket):
    now = timezone.now()
    for metric, minutes in ((Metric.RESOLUTION, 5), (Metric.FIRST_RESPONSE, 10)):
        SlaClock.objects.create(
            ticket=ticket, metric=metric, started_at=now - timedelta(minutes=minutes), counted_until=now
        )
    SlaClock.objects.create(
        ticket=ticket, metric=Metric.NEXT_RESPONSE, started_at=now, counted_until=now, stopped_at=now
    )

    found = staff_page_ticket(bob, ticket.pk)

    assert found.has_running_clocks
    assert found.running_sla_clocks == list(ticket.sla_clocks.running().order_by("started_at", "id"))
    assert [clock.metric for clock in found.running_sla_clocks] == ["first_response", "resolution"]


def test_the_tickets_mail_is_the_opening_mail_and_the_held_mail(bob, ticket):
    opening = stored_mail(ticket, status=InboundStatus.PROCESSED)
    reply = Comment.objects.create(ticket=ticket, author=ticket.requester, body="More")
    stored_mail(ticket, reply, status=InboundStatus.PROCESSED)  # a reply's mail is linked from the reply instead
    held = stored_mail(ticket, status=InboundStatus.QUARANTINED, reason=Reason.UNVERIFIED_SENDER)
    stored_mail(ticket, status=InboundStatus.QUARANTINED, reason=Reason.FORGED_STAFF)  # not for an agent to accept
    other_ticket = Ticket.objects.create(subject="Other", description="x", requester=ticket.requester)
    stored_mail(other_ticket, status=InboundStatus.PROCESSED)

    for _ in range(2):  # compiled on the first call, reused on the second
        mail = ticket_page_mail(ticket)

        assert mail.opening == opening
        assert mail.held == [held]
        assert mail.held[0].reason == Reason.UNVERIFIED_SENDER
        assert mail.opening.get_deferred_fields() == {"raw"}  # the stored message itself is not read
    assert orm_compilations(lambda: ticket_page_mail(ticket)) == []


@pytest.fixture
def dave(db) -> User:
    return user_create(email="dave@example.com", password=PASSWORD, name="Dave Agent", role=Role.AGENT)


def test_the_page_lists_the_macros_each_user_may_use(alice, bob, carol, dave, team):
    made = {
        "bob's own": Macro.objects.create(name="Bob's own", body="x", owner=bob),
        "dave's own": Macro.objects.create(name="Dave's own", body="x", owner=dave),
        "everyone's": Macro.objects.create(name="All", body="x", owner=dave, visibility=MacroVisibility.EVERYONE),
        "the team's": Macro.objects.create(
            name="Team", body="x", owner=carol, visibility=MacroVisibility.TEAM, shared_team=team, set_team=team
        ),
    }
    expected = {
        bob: {"bob's own", "everyone's", "the team's"},  # bob is in the team
        dave: {"dave's own", "everyone's"},
        carol: set(made),  # an admin uses every macro
        alice: set(),
    }

    for user, names in expected.items():
        for _ in range(2):  # compiled on the first call, reused on the second
            shown = macros_for_ticket_page(user)

            assert {macro.pk for macro in shown} == {made[name].pk for name in names}
            assert {macro.pk for macro in shown} == set(macros_visible_to(user).values_list("pk", flat=True))
        assert orm_compilations(lambda user=user: list(macros_for_ticket_page(user))) == []
    team_macro = next(macro for macro in macros_for_ticket_page(bob) if macro.pk == made["the team's"].pk)
    with CaptureQueriesContext(connection) as captured:
        assert (team_macro.name, team_macro.set_team.name, team_macro.set_assignee) == ("Team", team.name, None)
    assert len(captured) == 0, "what the page shows of a macro is read with it"


def test_the_triage_options_are_compiled_once_for_staff_and_read_by_the_orm_otherwise(bob, ticket):
    Category.objects.create(name="Retired", slug="retired", is_active=False)
    for categories in (categories_visible_to(bob), Category.objects.active()):
        form = TicketPropertiesForm(ticket=ticket, categories=categories)
        form.read_choices()

        shown = [value for value, _label in form.fields["category"].widget.choices if value != ""]
        assert shown == [category.pk for category in categories.order_by("name")]
    staff_form = TicketPropertiesForm(ticket=ticket, categories=categories_visible_to(bob))
    assert orm_compilations(staff_form.read_choices) == []
