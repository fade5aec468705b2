"""Fill an empty database with a small, repeatable helpdesk to click through: `manage.py seed_demo`."""

from __future__ import annotations

import random
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.test.utils import override_settings

from accounts.models import Role, User
from accounts.services import user_create
from events.services import events_caused_by
from forms_builder.models import Condition, ConditionKind, Field, FieldType, Form, Operator
from forms_builder.services import form_publish
from tickets.models import Category, Priority, Status, Team
from tickets.services import TicketChanges, comment_create, ticket_change_status, ticket_create, ticket_update

DEMO_PASSWORD = "demo12345"  # noqa: S105 -- printed on purpose: these are throwaway demo accounts
DEMO_USERS = (
    ("admin@example.com", "Ada Admin", Role.ADMIN),
    ("agent1@example.com", "Alex Agent", Role.AGENT),
    ("agent2@example.com", "Sam Agent", Role.AGENT),
    ("alice@example.com", "Alice Requester", Role.REQUESTER),
    ("ben@example.com", "Ben Requester", Role.REQUESTER),
)
TEAMS = ("Support", "Engineering")
CATEGORIES = (
    ("Billing", "billing", "Support"),
    ("Technical", "technical", "Engineering"),
    ("Account", "account", "Support"),
)
SUBJECTS = (
    "Charged twice this month",
    "Invoice shows the wrong address",
    "Cannot log in after password reset",
    "Export to CSV times out",
    "Please close my account",
    "Two-factor codes are rejected",
    "Dashboard loads very slowly",
    "Refund for the annual plan",
    "Email notifications stopped",
    "Error 500 when uploading a file",
)
TAGS = ("vip", "bug", "refund", "login", "performance", "how-to")
# The path a ticket takes from "new" to its final status, one allowed transition at a time.
STATUS_PATHS = {
    Status.NEW: (),
    Status.OPEN: (Status.OPEN,),
    Status.PENDING: (Status.OPEN, Status.PENDING),
    Status.RESOLVED: (Status.OPEN, Status.RESOLVED),
    Status.CLOSED: (Status.OPEN, Status.RESOLVED, Status.CLOSED),
}
TICKET_COUNT = 30


class Command(BaseCommand):
    help = "Create demo users, teams, categories and tickets. Refuses when users exist, unless --force."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Seed even though the database has users.")

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        if User.objects.exists() and not force:
            self.stdout.write("Users already exist; nothing seeded. Use --force to add the demo data anyway.")
            return
        rng = random.Random(42)  # noqa: S311 -- demo data, not security: a fixed seed makes it repeatable
        # Demo data must not mail the demo addresses (or fill the console): its events say so, and the worker's
        # notification handler, which runs later in another process, mails nobody about them.
        quiet = events_caused_by({"label": "demo data", "quiet": True})
        mail_nowhere = override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
        with quiet, mail_nowhere, transaction.atomic():
            users = {email: demo_user(email, name, role) for email, name, role in DEMO_USERS}
            agents = [user for user in users.values() if user.role == Role.AGENT]
            requesters = [user for user in users.values() if user.role == Role.REQUESTER]
            categories = demo_categories(agents)
            for number in range(TICKET_COUNT):
                demo_ticket(rng, number, requesters=requesters, agents=agents, categories=categories)
            demo_forms(users["admin@example.com"], {category.slug: category for category in categories})
        self.stdout.write(self.style.SUCCESS(f"Seeded {TICKET_COUNT} tickets."))
        self.print_logins(users.values())

    def print_logins(self, users: Any) -> None:
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
        self.stdout.write(f"  {'role':<10} email")
        for user in users:
            self.stdout.write(f"  {user.role:<10} {user.email}")


def demo_user(email: str, name: str, role: str) -> User:
    """With --force an existing demo user is reused as it is (its password is left alone)."""
    existing = User.objects.filter(email=email).first()
    return existing or user_create(email=email, password=DEMO_PASSWORD, name=name, role=role)


def demo_categories(agents: list[User]) -> list[Category]:
    teams = {name: Team.objects.get_or_create(name=name)[0] for name in TEAMS}
    for team in teams.values():
        team.members.add(*agents)
    return [
        Category.objects.get_or_create(slug=slug, defaults={"name": name, "default_team": teams[team]})[0]
        for name, slug, team in CATEGORIES
    ]


def demo_forms(admin: User, categories: dict[str, Category]) -> None:
    """A public "Bug report" with a conditional field, and a "General question" for signed-in requesters."""
    bug_report, created = Form.objects.get_or_create(
        slug="bug-report",
        defaults={
            "name": "Bug report",
            "description": "Something does not work as it should.",
            "category": categories["technical"],
            "is_public": True,
            "subject_template": "{product}: {summary}",
            "description_field": "details",
        },
    )
    if created:
        product = Field.objects.create(
            form=bug_report,
            key="product",
            label="Product",
            position=1,
            type=FieldType.SELECT,
            required=True,
            choices="desktop | Desktop\nweb | Web\nmobile | Mobile",
        )
        version = Field.objects.create(
            form=bug_report,
            key="version",
            label="Version",
            position=2,
            help_text="Shown in Help > About.",
            max_length=50,
        )
        for kind in (ConditionKind.VISIBLE, ConditionKind.REQUIRED):  # only the desktop app has versions
            Condition.objects.create(
                form=bug_report, target=version, kind=kind, source=product, operator=Operator.EQUALS, value="desktop"
            )
        Field.objects.create(form=bug_report, key="summary", label="Summary", position=3, required=True, max_length=150)
        Field.objects.create(
            form=bug_report,
            key="details",
            label="Details",
            position=4,
            type=FieldType.TEXTAREA,
            help_text="What happened, what you expected, and the steps to see it again.",
        )
        form_publish(form=bug_report, actor=admin)
    question, created = Form.objects.get_or_create(
        slug="general-question",
        defaults={
            "name": "General question",
            "category": categories["account"],
            "position": 1,
            "subject_template": "{subject}",
            "description_field": "question",
        },
    )
    if created:
        Field.objects.create(form=question, key="subject", label="Subject", position=1, required=True, max_length=150)
        Field.objects.create(
            form=question, key="question", label="Your question", position=2, type=FieldType.TEXTAREA, required=True
        )
        form_publish(form=question, actor=admin)


def demo_ticket(
    rng: random.Random, number: int, *, requesters: list[User], agents: list[User], categories: list[Category]
) -> None:
    """One ticket's life: opened by a requester, triaged by an agent, discussed, then moved along the workflow."""
    requester, agent = rng.choice(requesters), rng.choice(agents)
    subject = SUBJECTS[number % len(SUBJECTS)]
    ticket = ticket_create(
        requester=requester,
        subject=subject,
        description=f"{subject}. It started yesterday; could you have a look?",
        category=rng.choice(categories),
    )
    changes = TicketChanges(
        priority=rng.choice(Priority.values),
        assignee=rng.choice([None, agent, agent]),
        tags=rng.sample(TAGS, k=rng.randint(0, 2)),
    )
    ticket = ticket_update(ticket=ticket, actor=agent, changes=changes)
    status = rng.choice(Status.values)
    if status != Status.NEW:
        comment_create(ticket=ticket, author=agent, body=f"Thanks {requester.name.split()[0]}, looking into it.")
    if rng.random() < 0.5:
        comment_create(ticket=ticket, author=agent, body="Checked the logs; see the **second** request.", internal=True)
    if status in (Status.RESOLVED, Status.CLOSED) and rng.random() < 0.5:
        comment_create(ticket=ticket, author=requester, body="Here is a screenshot of the error, in case it helps.")
    for step in STATUS_PATHS[status]:
        ticket = ticket_change_status(ticket=ticket, actor=agent, status=step)
