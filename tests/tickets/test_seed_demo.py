"""`manage.py seed_demo` fills an empty database with a repeatable demo, and leaves a used one alone."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import Role, User
from tickets.models import Category, Comment, Status, Tag, Team, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "demo12345"


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def ticket_snapshot() -> list[tuple]:
    return list(Ticket.objects.order_by("id").values_list("subject", "status", "priority", "assignee__email"))


def test_seed_demo_creates_the_promised_users_teams_categories_and_tickets():
    output = seed()

    assert sorted(User.objects.values_list("email", "role")) == [
        ("admin@example.com", Role.ADMIN),
        ("agent1@example.com", Role.AGENT),
        ("agent2@example.com", Role.AGENT),
        ("alice@example.com", Role.REQUESTER),
        ("ben@example.com", Role.REQUESTER),
    ]
    assert (Team.objects.count(), Category.objects.count(), Ticket.objects.count()) == (2, 3, 30)
    assert set(Team.objects.get(name="Support").members.values_list("email", flat=True)) == {
        "agent1@example.com",
        "agent2@example.com",
    }
    assert set(Ticket.objects.values_list("status", flat=True)) == set(Status.values)
    assert len(set(Ticket.objects.values_list("priority", flat=True))) == 4
    assert Comment.objects.filter(internal=True).exists() and Comment.objects.filter(internal=False).exists()
    assert Tag.objects.exists() and Ticket.objects.exclude(assignee=None).exists()
    assert "demo12345" in output and "agent1@example.com" in output


def test_seed_demo_status_changes_are_in_the_audit_trail():
    seed()

    closed = Ticket.objects.filter(status=Status.CLOSED).first()
    steps = closed.events.filter(kind="status").values_list("new_value", flat=True)
    assert list(steps) == [Status.OPEN, Status.RESOLVED, Status.CLOSED]


def test_seeded_users_can_log_in():
    seed()

    for email in ["admin@example.com", "agent1@example.com", "alice@example.com"]:
        assert Client().login(username=email, password=DEMO_PASSWORD), email


def test_seeded_agent_can_open_the_admin():
    seed()
    client = Client()
    client.login(username="agent2@example.com", password=DEMO_PASSWORD)

    assert client.get("/admin/tickets/ticket/").status_code == 200


def test_seed_demo_refuses_to_run_twice_without_force():
    seed()
    before = (User.objects.count(), Ticket.objects.count(), TicketEvent.objects.count())

    output = seed()

    assert "nothing seeded" in output
    assert (User.objects.count(), Ticket.objects.count(), TicketEvent.objects.count()) == before


def test_seed_demo_with_force_adds_tickets_to_a_used_database(carol):
    seed("--force")

    assert User.objects.count() == 6
    assert Ticket.objects.count() == 30


def test_seed_demo_is_repeatable():
    seed()
    first = ticket_snapshot()
    Ticket.objects.all().delete()
    User.objects.all().delete()

    seed()

    assert ticket_snapshot() == first


def test_seed_demo_mails_nobody(transactional_db, settings, capsys):
    """A real transaction, so the services' after-commit notifications do fire, into the console backend."""
    from django.core.management import call_command

    from notifications.models import Notification

    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    call_command("seed_demo")
    assert "Subject:" not in capsys.readouterr().out
    # Nor later, when the worker (another process, without this command's mail settings) handles the events.
    assert list(Notification.objects.values_list("kind", "key")) == []
