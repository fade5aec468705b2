"""The cast used everywhere: alice and mallory (requesters), bob (agent), carol (admin)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from accounts.models import Role, User
from accounts.services import api_token_issue, user_create
from tests.support.browser import browser, chromium, live_server_for_browser  # noqa: F401  (headless Chromium)
from tests.support.databases import sqlite_copy
from tickets.models import Category, Team, Ticket
from tickets.services import ticket_create

PASSWORD = "correct-horse-battery-staple"
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEMORY_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # As in production (settings.py keeps none with DEBUG): each process's memory.
    "template_fragments": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fragments"},
}

# Tests count in a memory cache of their own (each xdist worker is its own process), from collection on: the
# schema-driven tests request the API while they are collected, outside any test's database access. The shared
# database cache has its own tests (tests/helpdesk/test_shared_cache.py).
django_settings.CACHES = MEMORY_CACHE
# WhiteNoise indexes STATIC_ROOT each time a middleware chain is built, and the test client builds one per client:
# after `make run` had collected ~700 files there, that was a third of the suite's time. Tests have no collected
# files to serve (test_pages_form_render serves one through the finders).
django_settings.STATIC_ROOT = None


def _on_sqlite() -> bool:
    return django_settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """On SQLite each test process starts from a copy of the one migrated database (tests/support/databases.py)
    rather than migrating its own in memory; `django_db_keepdb` below tells Django to keep it as it is."""
    if _on_sqlite():
        copy = sqlite_copy(request.config, tmp_path_factory.mktemp("test-database"))
        django_settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = str(copy)


@pytest.fixture(scope="session")
def django_db_keepdb(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getvalue("reuse_db")) or _on_sqlite()


@pytest.fixture(autouse=True, scope="session")
def _tasks_run_in_process() -> None:
    """Unit tests run Celery tasks inline when they are queued; the worker tests start a real worker process."""
    from helpdesk.celery import app

    app.conf.task_always_eager = True


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings: object, tmp_path: Path) -> None:
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS
    settings.MEDIA_ROOT = tmp_path / "attachments"
    settings.CACHES = MEMORY_CACHE
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _rate_limit_windows_stand_still(monkeypatch: pytest.MonkeyPatch) -> None:
    """django-ratelimit counts in fixed windows that end at wall-clock boundaries, so a test counting requests could
    see one pass between two of them (a 429 test once got a 200). Its clock stands still in every test."""
    import django_ratelimit.core

    frozen = time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: frozen))


@pytest.fixture(autouse=True)
def _clear_cache(_fast_and_isolated: None) -> None:
    """Depends on the settings fixture so it clears the test's caches, never a developer's real Redis."""
    from django.core.cache import caches

    for alias in MEMORY_CACHE:
        caches[alias].clear()


CAST = {
    "alice": {"email": "alice@example.com", "name": "Alice Requester"},
    "mallory": {"email": "mallory@example.com", "name": "Mallory Requester"},
    "bob": {"email": "bob@example.com", "name": "Bob Agent", "role": Role.AGENT},
    "carol": {"email": "carol@example.com", "name": "Carol Admin", "role": Role.ADMIN},
}


def cast_member(name: str) -> User:
    return user_create(password=PASSWORD, **CAST[name])


@dataclass(frozen=True)
class Cast:
    alice: User  # a requester
    mallory: User  # another requester
    bob: User  # an agent
    carol: User  # an admin


def make_cast() -> Cast:
    """The four users at once, for rows built outside a test (tests/support/shared_data.py)."""
    return Cast(**{name: cast_member(name) for name in CAST})


def support_team(bob: User) -> Team:
    team = Team.objects.create(name="Support")
    team.members.add(bob)
    return team


def billing_category(team: Team) -> Category:
    return Category.objects.create(name="Billing", slug="billing", default_team=team)


def alices_ticket(alice: User, category: Category) -> Ticket:
    return ticket_create(requester=alice, subject="Invoice is wrong", description="Charged twice.", category=category)


@pytest.fixture
def alice(db: None) -> User:
    return cast_member("alice")


@pytest.fixture
def mallory(db: None) -> User:
    return cast_member("mallory")


@pytest.fixture
def bob(db: None) -> User:
    return cast_member("bob")


@pytest.fixture
def carol(db: None) -> User:
    return cast_member("carol")


@pytest.fixture
def team(db: None, bob: User) -> Team:
    return support_team(bob)


@pytest.fixture
def category(db: None, team: Team) -> Category:
    return billing_category(team)


@pytest.fixture
def ticket(alice: User, category: Category) -> Ticket:
    """Alice's ticket, status new, in the Billing category (and so the Support team)."""
    return alices_ticket(alice, category)


@pytest.fixture
def api_client_for(db: None) -> Callable[[User | None], APIClient]:
    """An API client authenticated with a bearer token for `user` (anonymous for None)."""

    def make(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            _, secret = api_token_issue(user=user, name="tests")
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return make


@pytest.fixture
def two_files_of_1000_bytes(settings: object) -> None:
    """The multipart allowance (helpdesk.limits.multipart_limit): 2 files x 1000 bytes, plus 1000 bytes for the
    fields and framing."""
    settings.ATTACHMENT_MAX_BYTES = 1000
    settings.ATTACHMENT_MAX_FILES = 2
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000


@pytest.fixture
def one_file_of_1_mb(settings: object) -> None:
    """A multipart allowance of 3.5 MB: one file of 1 MB, plus DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB)."""
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    settings.ATTACHMENT_MAX_FILES = 1
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440


@pytest.fixture
def upload_temp_dir(settings: object, tmp_path: Path) -> Path:
    """Where Django spools uploaded files while it reads a post: every file goes there, however small."""
    path = tmp_path / "uploads"
    path.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = path
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    return path


@pytest.fixture
def stored_files(settings: object) -> Callable[[], list[Path]]:
    """The files now in attachment storage (MEDIA_ROOT, a directory of the test's own)."""
    return lambda: sorted(path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file())


@pytest.fixture
def client_for(db: None) -> Callable[[User | None], object]:
    """A Django test client signed in as `user` (anonymous for None), for the HTML pages."""
    from django.test import Client

    def make(user: User | None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make
