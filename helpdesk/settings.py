"""The one settings module. Every deployment knob is an environment variable listed in the README."""

from __future__ import annotations

import os
import re
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from corsheaders.defaults import default_headers as default_cors_headers
from cryptography.fernet import Fernet
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

DEV_SECRET_KEY = "dev-insecure-secret-key-do-not-use-in-production"  # noqa: S105


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def env_bool(name: str, default: bool) -> bool:
    """Strict: `MFA_REQUIRED=ture` stops the start with a message naming the variable; it never means false."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    word = value.strip().lower()
    if word not in TRUE_WORDS | FALSE_WORDS:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a yes/no value: use true or false (or 1/0, yes/no, on/off)"
        )
    return word in TRUE_WORDS


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])


def is_fernet_key(key: str) -> bool:
    try:
        Fernet(key)
    except ValueError:
        return False
    return True


def check_production_settings() -> None:
    """Refuse to start an insecure production configuration, naming what is wrong."""
    problems = []
    if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50:
        problems.append("SECRET_KEY must be set to a random value of at least 50 characters")
    if not ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS must list the host names this site serves")
    if not ENCRYPTION_KEYS:
        # Two-factor secrets and OAuth client secrets are stored encrypted; a key derived from SECRET_KEY would
        # make rotating SECRET_KEY lock everyone out of their second factor.
        problems.append("ENCRYPTION_KEYS must hold at least one Fernet key (see the README)")
    elif not all(is_fernet_key(key) for key in ENCRYPTION_KEYS):
        problems.append("ENCRYPTION_KEYS must be comma-separated Fernet keys (32 url-safe base64-encoded bytes)")
    # Credentials shared with a plain-HTTP origin are readable by anyone on that origin's network path.
    plain_http_origins = [origin for origin in CORS_ALLOWED_ORIGINS if origin.startswith("http://")]
    if CORS_ALLOW_CREDENTIALS and plain_http_origins:
        problems.append(
            "CORS_ALLOWED_ORIGINS must be https:// origins when CORS_ALLOW_CREDENTIALS is on, not "
            + ", ".join(plain_http_origins)
        )
    if problems:
        raise ImproperlyConfigured("Refusing to start with DEBUG=False: " + "; ".join(problems))


INSTALLED_APPS = [
    "helpdesk.admin_site.HelpdeskAdminConfig",  # django.contrib.admin, its site answering odd ids and lookups
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # Django's widget templates, for the TemplatesSetting form renderer below
    "rest_framework",
    "django_ratelimit",  # installed for its system checks on the cache it counts in
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "csp",
    "django_prometheus",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.github",
    "allauth.socialaccount.providers.gitlab",
    "allauth.mfa",
    "allauth.usersessions",
    "helpdesk",
    "accounts",
    "tickets",
    "forms_builder",
    "events",
    "notifications",
    "anymail",
    "inbound",
    "sla",
    "automations",
    "csat",
    "webhooks",
    "reports",
    "queues",
    "search",
    "macros",
]

MIDDLEWARE = [
    "helpdesk.observability.RequestLogMiddleware",
    "helpdesk.stored_files.StoredFilesSweepMiddleware",  # files of a post rolled back are deleted afterwards
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside every middleware that may answer by itself (a CORS preflight, a redirect to the slashed URL, the 503
    # while the database is down), so that every answer but a static file carries the framing and content policies.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "helpdesk.limits.PageBodyLimitMiddleware",  # a page's post over the multipart limit: 413, before CSRF reads it
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "helpdesk.availability.DatabaseUnavailableMiddleware",  # database down or locked: 503 with Retry-After
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.UnprovenAddressMiddleware",  # an unproven email address gets no session
    "accounts.middleware.StaffSecondFactorMiddleware",  # MFA_REQUIRED_FOR_STAFF: set up TOTP first
    "accounts.middleware.UserTimeZoneMiddleware",  # pages tell times in the signed-in person's zone
    "accounts.sessions.UserSessionsMiddleware",  # allauth's, writing at most once a minute per session
    "helpdesk.ratelimits.RateLimitHeadersMiddleware",
    "helpdesk.input_checks.InputCheckMiddleware",  # NUL and unpaired surrogates: a 400 before any door reads them
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.form_action.ProviderFormActionMiddleware",  # account pages: form-action allows the sign-in providers
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Widgets render with the engine above, so a widget can use a template from templates/, cached like the pages'
# templates when DEBUG is off.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# Database: SQLite under var/ by default, PostgreSQL (or anything dj-database-url parses) via DATABASE_URL.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'helpdesk.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_health_checks=env_bool("CONN_HEALTH_CHECKS", True))}
# Production on PostgreSQL keeps its connections in psycopg's pool unless told otherwise: opening one per request
# (Django's CONN_MAX_AGE=0) costs more than a whole page of the API list (bench/README.md).
DATABASE_POOL = env_bool(
    "DATABASE_POOL", not DEBUG and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
)
DATABASES["default"]["CONN_MAX_AGE"] = 0 if DATABASE_POOL else env_int("CONN_MAX_AGE", 0)
# Full-text search on PostgreSQL: the text search configuration that stems words (`english`, `german`, `simple`…;
# `SELECT cfgname FROM pg_ts_config` lists them), read through its accent-insensitive copy `<name>_unaccent`
# (search/services.py). Changing it needs `manage.py search_backfill --all`. SQLite's FTS5 index always uses the
# Porter (English) stemmer.
SEARCH_LANGUAGE = env_str("SEARCH_LANGUAGE", "english")
if not re.fullmatch(r"[a-z_][a-z0-9_]*", SEARCH_LANGUAGE):
    raise ImproperlyConfigured(f"SEARCH_LANGUAGE={SEARCH_LANGUAGE!r} is not a text search configuration name")
# A database that stops answering makes requests a quick 503 with Retry-After (helpdesk/availability.py), never
# hang: these bound how long a request waits for it.
DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 3)  # seconds to open a connection (PostgreSQL)
DATABASE_POOL_TIMEOUT = env_int("DATABASE_POOL_TIMEOUT", 3)  # seconds a request waits for a pooled connection
# The queries helpdesk/sql.py compiles once (bearer token, session and user lookups, the queue's options, the staff
# ticket page's rows) and the unfiltered pages of tickets (helpdesk.sql.prepared_statements) as prepared statements on
# PostgreSQL. Off behind a pooler that shares server connections between clients and cannot keep prepared statements
# (PgBouncer in transaction mode before 1.21, or without max_prepared_statements).
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
SQLITE_BUSY_TIMEOUT = env_int("SQLITE_BUSY_TIMEOUT", 10)  # seconds a write waits for SQLite's lock
_database_options = DATABASES["default"].setdefault("OPTIONS", {})
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _database_options.setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT)
    if DATABASE_PREPARED_STATEMENTS:
        # psycopg prepares a query after it has run this many times on a connection. Django's own queries bind their
        # values in the SQL text and are never prepared: only those helpdesk.sql binds on the server are.
        _database_options.setdefault("prepare_threshold", 5)
    if DATABASE_POOL:
        # psycopg_pool would wait 30 s for a connection. Django checks each pooled connection before handing it
        # out (CONN_HEALTH_CHECKS), so the ones a database restart broke are replaced rather than used.
        _database_options["pool"] = {"timeout": DATABASE_POOL_TIMEOUT}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several gunicorn workers share the file. WAL lets readers go on while one writes; IMMEDIATE takes the write
    # lock when a transaction begins, so a writer waits its turn (up to the busy timeout) instead of failing when it
    # first writes; a lock held past the timeout is a 503 with Retry-After.
    _database_options.update(
        transaction_mode="IMMEDIATE",
        timeout=SQLITE_BUSY_TIMEOUT,
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# RoleBackend grants permissions by role; allauth's backend signs in by email (and knows its EmailAddress table).
AUTHENTICATION_BACKENDS = ["accounts.backends.RoleBackend", "allauth.account.auth_backends.AuthenticationBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Attachments live under MEDIA_ROOT, which no URL serves: only the permission-checking download view reads them.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "attachments")))
MEDIA_URL = None
# Several web nodes share one object store instead: S3 or any S3-compatible server (MinIO, Ceph, R2…) when a
# bucket is named. Objects stay private (no ACL, the bucket's default); the same permission-checked view streams
# them from the store, so no URL of the store is ever handed out.
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,  # empty: Amazon S3 itself
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "access_key": env_str("AWS_ACCESS_KEY_ID") or None,  # empty: boto3's own chain (instance role, env)
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
            "location": env_str("AWS_LOCATION", "attachments"),  # the key prefix inside the bucket
            "addressing_style": env_str("AWS_S3_ADDRESSING_STYLE") or None,  # "path" for most self-hosted servers
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
ATTACHMENT_MAX_FILES = env_int("ATTACHMENT_MAX_FILES", 10)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["helpdesk.renderers.FastJSONRenderer"],  # DRF's JSON, written by orjson
    # DRF's parsers with a body size limit each (see API_MAX_BODY_BYTES below).
    "DEFAULT_PARSER_CLASSES": [
        "helpdesk.limits.LimitedJSONParser",
        "helpdesk.limits.LimitedMultiPartParser",
        "helpdesk.limits.LimitedFormParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "helpdesk.api_errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_PAGINATION_CLASS": "helpdesk.pagination.ById",
    "PAGE_SIZE": env_int("API_PAGE_SIZE", 25),
}

# --- API contract: OpenAPI schema and docs ----------------------------------------------------------------
REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "drf_spectacular.openapi.AutoSchema"
API_DESCRIPTION = """\
The helpdesk's REST API: tickets, their conversation and audit trail, categories, teams, users, and intake forms
(read a form's published version or its JSON Schema, then submit answers to open a ticket).

**Authentication.** Send `Authorization: Bearer <token>` on every request. Create personal access tokens on the
"API tokens" page of your account (`/accounts/tokens/`), or exchange an email and password for one at
`POST /api/v1/auth/token/` (refused with 403 `mfa_required` for accounts with two-factor authentication). A token is
shown once; it has scopes (`read`, or `read` and `write`: a read-only token gets 403 `insufficient_scope` on
writes) and an optional expiry; an expired or revoked token gets 401. `GET /api/v1/auth/tokens/` lists your tokens
and `DELETE /api/v1/auth/tokens/{id}/` revokes one. Requesters see only their own tickets; another user's object
answers 404, never 403, so ids cannot be probed.

**Paths.** Every path works with or without its trailing slash.

**Pagination.** Lists are cursor-paginated: `{"next": url|null, "previous": url|null, "results": [...]}`. Follow
`next` until it is null; `page_size` is 1 to 100. Unknown query parameters, on lists and on reads of one object
alike, are refused with 400.

**Errors.** Every failure has one body, `{"error": {"code", "message", "details"}}`: branch on `code` (stable), show
`message`, and find per-field messages in `details`.

**Rate limits.** Reads, writes and credential requests have separate limits. Every response carries
`RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`; over the limit the answer is 429 with `Retry-After`.

**Idempotent creates, and how to retry.** Send an `Idempotency-Key` header (a new UUID per create) with any POST that
creates something. A retry with the same key and body replays the first response instead of creating a duplicate
(with `Idempotent-Replayed: true`); the same key with another body is 422 `idempotency_key_reused`. Retry with the
same key and the same body after a network error, a timeout, 409 `idempotency_key_in_progress`, 429 or 503, waiting
the seconds in `Retry-After` when there is one (otherwise back off: 1, 2, 4... seconds). While the first request is
still running, a retry gets 409 `idempotency_key_in_progress`. If the first request never finished (its server
process died), its claim on the key lapses after a lease (60 seconds by default, longer than any request may run),
and the next retry runs the create: it happens once, never twice. A key is kept for 24 hours. A replayed webhook
endpoint registration answers `secret` as null (the secret is shown once): rotate it if the first answer was lost.

**Availability.** While the database is unreachable or restarting, requests answer 503 `service_unavailable` within
a few seconds, with `Retry-After`; nothing was written, so retry (creates with their `Idempotency-Key`).

**Optimistic concurrency.** `GET /api/v1/tickets/{id}/` returns an `ETag`. Send it as `If-Match` with your PATCH;
if the ticket changed in between, the PATCH is refused with 412 `precondition_failed`.
"""
SPECTACULAR_SETTINGS = {
    "TITLE": "Helpdesk API",
    "VERSION": "1.0.0",
    "DESCRIPTION": API_DESCRIPTION,
    # Create and PATCH bodies have their own serializers, so requests and responses get their own components.
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # `tickets/{ticket_pk}/comments` is documented as `tickets/{ticket_id}/comments`: integrators never see `pk`.
    "SCHEMA_COERCE_PATH_PK_SUFFIX": True,
    # Integrators read the contract before they have a token: schema and docs are public, and a stale token
    # or a session cookie does not change what they are shown.
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PUBLIC": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Swagger UI from drf-spectacular-sidecar, served by whitenoise: no CDN, nothing for the CSP to allow.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "accounts.models.Role",
        "StatusEnum": "tickets.models.Status",
        # Spoken by name wherever a priority appears: a ticket's `priority`, a form's `default_priority`.
        "PriorityEnum": "tickets.models.Priority.labels",
        "FieldTypeEnum": "forms_builder.models.FieldType",
        "EventKindEnum": "events.models.EventKind",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "helpdesk.openapi.document_cross_cutting_behaviour",
    ],
}

# --- Cache and rate limits --------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
SILENCED_SYSTEM_CHECKS: list[str] = []
# Every worker and host shares one cache, so rate limits hold whatever the number of gunicorn workers; when the cache
# fails, requests go on without it (see helpdesk/cache.py). Seconds a request waits for Redis before failing open:
CACHE_TIMEOUT_SECONDS = 0.5
if REDIS_URL:
    # django-redis: INCR is atomic in Redis, and it is on django-ratelimit's supported list.
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,  # Redis down reads as a miss and a dropped write, never a 500
                "SOCKET_CONNECT_TIMEOUT": CACHE_TIMEOUT_SECONDS,
                "SOCKET_TIMEOUT": CACHE_TIMEOUT_SECONDS,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    DJANGO_REDIS_LOGGER = "helpdesk.cache"  # once a minute: LOGGING below
else:
    # The database (the `helpdesk_cache` table, made by a migration), with the atomic add and increment
    # django-ratelimit needs; Django's own DatabaseCache, file and memory caches lack one or the other.
    CACHES = {
        "default": {
            "BACKEND": "helpdesk.cache.SharedDatabaseCache",
            "LOCATION": "helpdesk_cache",
            "OPTIONS": {"MAX_ENTRIES": 1_000_000},  # expired rows are purged by helpdesk.cache, not culled by count
        }
    }
    # django-ratelimit names only memcached and django-redis as supported (W001); see helpdesk/cache.py for why
    # this one is atomic.
    SILENCED_SYSTEM_CHECKS += ["django_ratelimit.W001"]
# Rendered page fragments that are the same for every request with the same inputs (the `{% cache %}` tag, which
# uses this alias): kept in each process's memory, keyed by everything they show, so a fragment is never stale and a
# restart (a deploy, new templates) starts afresh. The staff queue keeps its forms here. With DEBUG nothing is kept,
# so an edited template shows at once.
CACHES["template_fragments"] = {
    "BACKEND": "django.core.cache.backends.dummy.DummyCache"
    if DEBUG
    else "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "template-fragments",
    "OPTIONS": {"MAX_ENTRIES": 500},
}
# The staff queue's counts (every view's, in its sidebar) and the pages agents load are kept in the cache this long at
# most (queues/kept.py): any ticket change outdates them at once; this bounds what changes with time alone (SLA clocks
# falling due, a row's "5m") or without a ticket change (team membership, a renamed person).
QUEUE_COUNTS_SECONDS = env_int("QUEUE_COUNTS_SECONDS", 30)
RATELIMIT_FAIL_OPEN = True  # a cache outage must not refuse every request: the limits pause, the site keeps serving
RATELIMIT_USE_CACHE = "default"
# django-ratelimit's `ip` key and our own counting read the client address through one function.
RATELIMIT_IP_META_KEY = "helpdesk.ratelimits.client_ip"
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")  # IPs or CIDRs whose X-Forwarded-For is believed
RATE_LIMIT_CREDENTIALS = env_str("RATE_LIMIT_CREDENTIALS", "10/m")  # per client address and per account
RATE_LIMIT_WRITES = env_str("RATE_LIMIT_WRITES", "30/m")  # per user, per client address when anonymous
RATE_LIMIT_READS = env_str("RATE_LIMIT_READS", "300/m")  # per user, per client address when anonymous
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["helpdesk.ratelimits.ApiRateThrottle"]

# --- Background work: a Celery worker and beat; domain events ---------------------------------------------
# The broker: CELERY_BROKER_URL, else REDIS_URL, else kombu's filesystem transport under var/celery, so a fresh
# clone needs no extra service (`make run` starts one worker with beat beside gunicorn). RabbitMQ works through
# CELERY_BROKER_URL=amqp://... . Tasks never run eagerly outside the unit tests.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem:"):
    _queue_dir = VAR_DIR / "celery"
    # kombu's filesystem transport needs its folders to exist before web, worker or beat connect.
    for _folder in ("queue", "control"):
        (_queue_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "control_folder": str(_queue_dir / "control"),
        "polling_interval": 0.1,  # seconds between looks at the folder; the default 1 s caps a worker at ~1 task/s
    }
    # kombu's transport with messages renamed into place whole (helpdesk/kombu_filesystem.py).
    CELERY_BROKER_TRANSPORT = "helpdesk.kombu_filesystem:Transport"
else:
    # Redis re-delivers a message not acknowledged within this time (a worker killed mid-task).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_TASK_IGNORE_RESULT = True  # tasks record their outcome in the database; no result backend
CELERY_TASK_ACKS_LATE = True  # a task is acknowledged when done, so a killed worker's task runs again
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300)  # seconds; the task is killed after this
CELERY_TASK_SOFT_TIME_LIMIT = max(CELERY_TASK_TIME_LIMIT - 30, 1)  # raises inside the task first, so it is retried
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # the worker logs through LOGGING below, JSON like the web
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = env_int("CELERY_BROKER_CONNECTION_TIMEOUT", 2)
# Queuing from a request gives up quickly when the broker is down: the event is in the database and the sweep
# sends it when the broker is back.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "events-sweep": {"task": "events.sweep", "schedule": env_int("EVENT_SWEEP_SECONDS", 60)},
}
# --- Service levels, automations, satisfaction surveys (sla/, automations/, csat/) ---------------------------
SLA_WARNING_PERCENT = env_int("SLA_WARNING_PERCENT", 75)  # `sla.warning` once this share of a target is used
CELERY_BEAT_SCHEDULE["sla-sweep"] = {"task": "sla.sweep", "schedule": env_int("SLA_SWEEP_SECONDS", 60)}
CELERY_BEAT_SCHEDULE["automations-time-rules"] = {
    "task": "automations.time_rules",
    "schedule": env_int("AUTOMATION_TIME_RULES_SECONDS", 300),
}
AUTOMATION_MAX_DEPTH = env_int("AUTOMATION_MAX_DEPTH", 3)  # rules set off by rules stop after this many links
CSAT_CHANGE_DAYS = env_int("CSAT_CHANGE_DAYS", 3)  # a requester may change their rating this long after resolution
# Reports (reports/): the daily rollups are refreshed this often; agents see the reports too when allowed.
CELERY_BEAT_SCHEDULE["reports-rollup"] = {"task": "reports.rollup", "schedule": env_int("REPORTS_ROLLUP_SECONDS", 600)}
REPORTS_FOR_AGENTS = env_bool("REPORTS_FOR_AGENTS", False)
EVENT_HANDLER_MAX_ATTEMPTS = env_int("EVENT_HANDLER_MAX_ATTEMPTS", 10)  # then the run is failed, for an admin
EVENT_RETRY_BASE_SECONDS = env_int("EVENT_RETRY_BASE_SECONDS", 30)  # first retry after 15-30 s, doubling...
EVENT_RETRY_MAX_SECONDS = env_int("EVENT_RETRY_MAX_SECONDS", 3600)  # ...up to an hour between attempts
# The sweep re-sends events never handed to the worker, and runs whose message was lost, after this long.
EVENT_REDELIVER_AFTER_SECONDS = env_int("EVENT_REDELIVER_AFTER_SECONDS", 300)
# Mail (notifications/): each is retried with the backoff above; 12 attempts span several hours, so a mail server
# down for an hour delays mail and loses none. Then the mail is `failed`, for an admin to resend.
NOTIFICATION_MAX_ATTEMPTS = env_int("NOTIFICATION_MAX_ATTEMPTS", 12)
# Beat has a worker record a heartbeat this often; /readyz/worker answers 503 when it is older than STALE.
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 30)
WORKER_HEARTBEAT_STALE_SECONDS = env_int("WORKER_HEARTBEAT_STALE_SECONDS", 120)
CELERY_BEAT_SCHEDULE["worker-heartbeat"] = {"task": "events.heartbeat", "schedule": WORKER_HEARTBEAT_SECONDS}
CELERY_BEAT_SCHEDULE["notifications-sweep"] = {
    "task": "notifications.sweep",
    "schedule": env_int("EVENT_SWEEP_SECONDS", 60),
}

# --- Outgoing webhooks (webhooks/) ---------------------------------------------------------------------------
# Host names, addresses or CIDR networks that may receive webhooks although they are not public (internal
# receivers). Everything else must resolve to public addresses only.
WEBHOOK_ALLOWED_HOSTS = env_list("WEBHOOK_ALLOWED_HOSTS")
WEBHOOK_CONNECT_TIMEOUT_SECONDS = env_int("WEBHOOK_CONNECT_TIMEOUT_SECONDS", 5)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)  # waiting for the receiver's answer
WEBHOOK_CA_FILE = env_str("WEBHOOK_CA_FILE")  # a private CA for https receivers; certifi's CAs otherwise
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 60)  # first retry after 45-60 s, doubling...
WEBHOOK_RETRY_MAX_SECONDS = env_int("WEBHOOK_RETRY_MAX_SECONDS", 4 * 3600)  # ...up to 4 h between attempts...
WEBHOOK_RETRY_WINDOW_SECONDS = env_int("WEBHOOK_RETRY_WINDOW_SECONDS", 24 * 3600)  # ...for a day, then disabled
WEBHOOK_SECRET_OVERLAP_HOURS = env_int("WEBHOOK_SECRET_OVERLAP_HOURS", 24)  # the old secret signs too after rotation
# Retries due sooner than this are queued with a countdown; later ones (and anything lost) are sent by the sweep.
WEBHOOK_QUEUE_RETRY_WITHIN_SECONDS = env_int("WEBHOOK_QUEUE_RETRY_WITHIN_SECONDS", 300)
CELERY_BEAT_SCHEDULE["webhooks-sweep"] = {"task": "webhooks.sweep", "schedule": env_int("WEBHOOK_SWEEP_SECONDS", 30)}

# --- Browser safety: sessions, CSRF, CORS, CSP and security headers ---------------------------------------
SESSION_ENGINE = "accounts.session_store"  # Django's database sessions, their per-request read compiled once
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Our pages link to nothing that needs our URLs in its Referer, and nothing else may open a window onto them.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# HTTPS in production. Probes and the metrics scraper talk plain HTTP to the container, so they are never
# redirected (SECURE_REDIRECT_EXEMPT matches the path without its leading slash).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz(/worker)?$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    # Preloading is a deliberate, hard-to-undo promise for the whole domain; off is a choice, not an oversight.
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W021"]

# CORS, for browser front-ends on other origins calling the API. Pages and the admin never answer cross-origin.
_cors_origins = [origin.rstrip("/") for origin in env_list("CORS_ALLOWED_ORIGINS")]
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOW_ALL_ORIGINS = env_bool("CORS_ALLOW_ALL_ORIGINS", False) or "*" in _cors_origins
CORS_ALLOWED_ORIGINS = [origin for origin in _cors_origins if origin != "*"]
CORS_ALLOW_CREDENTIALS = env_bool("CORS_ALLOW_CREDENTIALS", False)
# The defaults (accept, authorization, content-type, x-csrftoken, ...) plus the API's own request headers.
CORS_ALLOW_HEADERS = (*default_cors_headers, "idempotency-key", "if-match", "if-none-match", "x-request-id")
# Without this a browser script cannot read the rate limit, the ETag for If-Match, or the id to quote to support.
CORS_EXPOSE_HEADERS = (
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "Retry-After",
    "ETag",
    "X-Request-ID",
    "Idempotent-Replayed",
)


def check_cors_settings() -> None:
    """Any origin with credentials would let every web site act as the signed-in user; refused even in DEBUG."""
    if CORS_ALLOW_ALL_ORIGINS and CORS_ALLOW_CREDENTIALS:
        raise ImproperlyConfigured(
            "Refusing to start: CORS_ALLOW_CREDENTIALS cannot be combined with a wildcard origin "
            "(CORS_ALLOW_ALL_ORIGINS, or * in CORS_ALLOWED_ORIGINS); list the trusted origins instead"
        )


check_cors_settings()

# Content Security Policy (django-csp 4), with no 'unsafe-inline' for scripts or styles. Our templates have no
# inline script, style or handler; Django 5.2's admin loads only script files, has no style= attributes, and its
# scripts set styles through the DOM, which CSP allows. The one inline block, Swagger UI's page style
# (templates/drf_spectacular/swagger_ui.html), carries nonce="{{ request.csp_nonce }}"; django-csp puts a nonce
# into the header only on responses that used one.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        # data: for the small inline images in Swagger UI's style sheet (the admin's are files).
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        # The account pages add the sign-in providers' origins (accounts/form_action.py).
        "form-action": [SELF],
    }
}

# --- Accounts: allauth sign-in (email, GitHub, GitLab), two-factor, sessions, secrets at rest -------------
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
MFA_ADAPTER = "accounts.adapters.MFAAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# An address is confirmed with a code, never a link: the mail carries a code that only the browser which asked for
# it (the one that signed up, signed in, or asked to change to the address) can type in, allauth keeping it in that
# session. A link worked in any browser: whoever typed someone else's address (a sign-up, a change on their Email
# page) had its owner, reading our genuine mail, confirm it for them. allauth's defaults: eight letters, 15 minutes,
# 3 tries; a new code by signing in again (or asking for the change again), at most one mail per address per 10 s.
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_CHANGE_EMAIL = True  # one address per user: changing it verifies the new one before it replaces the old
ACCOUNT_EMAIL_NOTIFICATIONS = True  # tell the user when their password or email changes
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Helpdesk] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
ACCOUNT_LOGOUT_REDIRECT_URL = LOGOUT_REDIRECT_URL
# Sign-in, sign-up, password-reset and confirmation-mail limits are allauth's own defaults (ACCOUNT_RATE_LIMITS),
# counted in the default cache per client address (accounts.adapters.AccountAdapter.get_client_ip) and per account.
ACCOUNT_SIGNUP_OPEN = env_bool("ACCOUNT_SIGNUP_OPEN", True)  # False: only admins create accounts
# A password set from a mailed reset link proves the address (accounts.services.user_password_reset).
# An address an account has only asked to change to is not its own: it takes no reset link, and blocks no sign-up.
ACCOUNT_FORMS = {
    "signup": "accounts.forms.SignUpForm",
    "reset_password": "accounts.forms.PasswordResetRequestForm",
    "reset_password_from_key": "accounts.forms.PasswordResetFromMailForm",
    "confirm_email_verification_code": "accounts.forms.EmailCodeConfirmForm",
}

# A social login never signs in to an existing account by matching its email address: the owner signs in first
# and connects the provider from their settings. New addresses are trusted only when the provider vouches for them
# (GitHub's per-address `verified`; GitLab only when marked trusted), otherwise allauth sends a confirmation mail.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_LOGIN_ON_GET = False  # sign-in with a provider starts with a POST (a CSRF-protected form)
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_QUERY_EMAIL = True
SOCIALACCOUNT_STORE_TOKENS = False  # we never call the providers' APIs after sign-in, so we keep no tokens
GITHUB_URL = env_str("GITHUB_URL").rstrip("/")  # GitHub Enterprise, e.g. https://github.example.com
GITLAB_URL = env_str("GITLAB_URL", "https://gitlab.com").rstrip("/")  # self-hosted GitLab
GITLAB_EMAILS_TRUSTED = env_bool("GITLAB_EMAILS_TRUSTED", False)


def social_provider_settings() -> dict[str, dict[str, object]]:
    """PKCE for both; client id and secret from the environment when set, otherwise from the admin."""
    github: dict[str, object] = {"SCOPE": ["read:user", "user:email"], "OAUTH_PKCE_ENABLED": True}
    if GITHUB_URL:
        github["GITHUB_URL"] = GITHUB_URL
    if env_str("GITHUB_CLIENT_ID"):
        github["APPS"] = [{"client_id": env_str("GITHUB_CLIENT_ID"), "secret": env_str("GITHUB_CLIENT_SECRET")}]
    gitlab: dict[str, object] = {"SCOPE": ["read_user"], "OAUTH_PKCE_ENABLED": True, "GITLAB_URL": GITLAB_URL}
    if env_str("GITLAB_CLIENT_ID"):
        gitlab["APPS"] = [
            {
                "client_id": env_str("GITLAB_CLIENT_ID"),
                "secret": env_str("GITLAB_CLIENT_SECRET"),
                "settings": {"gitlab_url": GITLAB_URL, "verified_email": GITLAB_EMAILS_TRUSTED},
            }
        ]
    return {"github": github, "gitlab": gitlab}


SOCIALACCOUNT_PROVIDERS = social_provider_settings()

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env_str("MFA_TOTP_ISSUER", "Helpdesk")
MFA_REQUIRED_FOR_STAFF = env_bool("MFA_REQUIRED_FOR_STAFF", False)  # agents and admins must set up TOTP first

USERSESSIONS_TRACK_ACTIVITY = True  # the Sessions page shows each session's last address and time

# Fernet keys, newest first (see accounts/encryption.py). Without them, development derives one from SECRET_KEY.
ENCRYPTION_KEYS = env_list("ENCRYPTION_KEYS")

# --- API behaviour: idempotent creates, conditional updates, request size limits -------------------------
IDEMPOTENCY_KEY_TTL_HOURS = env_int("IDEMPOTENCY_KEY_TTL_HOURS", 24)  # how long a retried create is replayed
CELERY_BEAT_SCHEDULE["idempotency-keys-purge"] = {"task": "helpdesk.purge_idempotency_keys", "schedule": 24 * 3600}
# How long a request's claim on its key lasts: longer than any request may run (gunicorn's --timeout, 30 s by
# default), so only a request that died leaves a claim that lapses; a retry then takes it over.
IDEMPOTENCY_LEASE_SECONDS = env_int("IDEMPOTENCY_LEASE_SECONDS", 60)
# DRF's parsers read JSON and form bodies themselves, past DATA_UPLOAD_MAX_MEMORY_SIZE: they get their own limit.
# Multipart bodies, the API's and every page's, are limited to ATTACHMENT_MAX_BYTES x ATTACHMENT_MAX_FILES +
# DATA_UPLOAD_MAX_MEMORY_SIZE (helpdesk.limits.multipart_limit).
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", DATA_UPLOAD_MAX_MEMORY_SIZE)

# --- Observability: structured logs, request ids, metrics ------------------------------------------------
LOG_FORMAT = env_str("LOG_FORMAT", "json")  # "json" (one object per line) or "plain" (for reading in a terminal)
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", ["127.0.0.1/32", "::1/128"])
METRICS_TOKEN = env_str("METRICS_TOKEN")

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "helpdesk@localhost")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")  # for links in emails
# The domain of our Message-IDs, and the address replies go to: notifications carry a signed plus-address of it
# naming the ticket and the recipient (support+t42.u7.<signature>@example.com) in Reply-To, so a reply by mail finds
# its ticket and who may answer as staff.
MAIL_DOMAIN = env_str("MAIL_DOMAIN", urlsplit(SITE_URL).hostname or "localhost").lower()  # as bounces are matched
# Either may be written with a display name ("Example Helpdesk <help@example.com>"): replies go to the address.
REPLY_ADDRESS = parseaddr(env_str("REPLY_ADDRESS", DEFAULT_FROM_EMAIL))[1]
if "@" not in REPLY_ADDRESS:
    raise ImproperlyConfigured("REPLY_ADDRESS (or DEFAULT_FROM_EMAIL) must hold an address: support@example.com")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)

# --- Inbound mail: mailboxes, the pipe, the SMTP/LMTP listener, provider webhooks -------------------------
INBOUND_MAX_BYTES = env_int("INBOUND_MAX_BYTES", 25 * 1024 * 1024)  # larger mail is kept, quarantined
INBOUND_PROCESS_SECONDS = env_int("INBOUND_PROCESS_SECONDS", 60)  # one message's time limit in the worker
INBOUND_MAX_ATTEMPTS = env_int("INBOUND_MAX_ATTEMPTS", 3)  # a message that keeps killing its worker: quarantined
INBOUND_REDELIVER_AFTER_SECONDS = env_int("INBOUND_REDELIVER_AFTER_SECONDS", 300)  # the sweep re-queues after this
# The loop breaker: more than INBOUND_SENDER_LIMIT mails from one address within the window are quarantined.
INBOUND_SENDER_LIMIT = env_int("INBOUND_SENDER_LIMIT", 20)
INBOUND_SENDER_WINDOW_SECONDS = env_int("INBOUND_SENDER_WINDOW_SECONDS", 600)
INBOUND_FETCH_TIMEOUT_SECONDS = env_int("INBOUND_FETCH_TIMEOUT_SECONDS", 30)  # IMAP/POP3 socket timeout
INBOUND_TLS_CA_FILE = env_str("INBOUND_TLS_CA_FILE")  # a private CA for mail servers; the system's CAs otherwise
# A winmail.dat's RTF body is read in a child process (inbound.rtf) stopped after this long (and this much CPU):
# hostile RTF can take minutes. Unread, the winmail.dat is kept. Keep it well below INBOUND_PROCESS_SECONDS.
INBOUND_RTF_SECONDS = env_int("INBOUND_RTF_SECONDS", 10)
# A mail is read up to this many MIME parts (the shared corpus's have at most 33): each part costs the stdlib's parser
# and us some look-ups, and 40,000 held a worker 14 s. The rest is kept in the stored original, and named on the ticket.
INBOUND_MIME_PARTS_MAX = env_int("INBOUND_MIME_PARTS_MAX", 1000)
CELERY_BEAT_SCHEDULE["inbound-poll"] = {
    "task": "inbound.poll_due_mailboxes",
    "schedule": env_int("INBOUND_POLL_TICK_SECONDS", 15),  # how often beat looks for mailboxes due a poll
}
CELERY_BEAT_SCHEDULE["inbound-sweep"] = {"task": "inbound.sweep", "schedule": env_int("EVENT_SWEEP_SECONDS", 60)}

# --- Attachment files a killed request or task left behind (tickets.tasks) --------------------------------------
# A file is written before the transaction recording its row commits; a process killed in between (gunicorn's
# timeout, the OOM killer, a deploy) leaves it in storage, named by no row. Beat deletes such files hourly once they
# are older than this: longer than anything that writes one may run (a request: gunicorn's --timeout, 30 s; a task:
# its time limit), so a file whose row is still being written is never taken.
ATTACHMENT_ORPHAN_GRACE_SECONDS = env_int("ATTACHMENT_ORPHAN_GRACE_SECONDS", 3600)
_longest_task_seconds = max(CELERY_TASK_TIME_LIMIT, INBOUND_PROCESS_SECONDS + 30)
if _longest_task_seconds >= ATTACHMENT_ORPHAN_GRACE_SECONDS:
    raise ImproperlyConfigured(
        f"ATTACHMENT_ORPHAN_GRACE_SECONDS={ATTACHMENT_ORPHAN_GRACE_SECONDS} must be longer than a task may run "
        f"({_longest_task_seconds} s: CELERY_TASK_TIME_LIMIT, INBOUND_PROCESS_SECONDS + 30), or a file whose row "
        "is still being written could be deleted"
    )
CELERY_BEAT_SCHEDULE["attachments-orphaned-delete"] = {"task": "tickets.delete_orphaned_files", "schedule": 3600}
# Provider webhooks (django-anymail). Every provider's URL takes HTTP basic auth with INBOUND_WEBHOOK_SECRET
# ("user:password"); Mailgun's are also signed with MAILGUN_WEBHOOK_SIGNING_KEY.
# A provider's post is read under this limit, not DATA_UPLOAD_MAX_MEMORY_SIZE (a page's): over it, 413. Twice
# INBOUND_MAX_BYTES, as the SMTP listener: room for base64 and JSON's 4/3 on top of the largest processed mail.
INBOUND_WEBHOOK_MAX_BYTES = env_int("INBOUND_WEBHOOK_MAX_BYTES", INBOUND_MAX_BYTES * 2)
ANYMAIL = {
    "WEBHOOK_SECRET": env_list("INBOUND_WEBHOOK_SECRET"),
    "MAILGUN_WEBHOOK_SIGNING_KEY": env_str("MAILGUN_WEBHOOK_SIGNING_KEY"),
    "AMAZON_SES_AUTO_CONFIRM_SNS_SUBSCRIPTIONS": env_bool("AMAZON_SES_AUTO_CONFIRM_SNS_SUBSCRIPTIONS", True),
}

# Bench only: route /bench/ceiling, the yardstick of `BENCH_DB=postgres make bench` (helpdesk/bench_ceiling.py).
BENCH_CEILING = env_bool("BENCH_CEILING", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "helpdesk.observability.RequestIdLogFilter"},
        # An outage repeats on every request: its loggers say so once a minute per process.
        "once_a_minute": {"()": "helpdesk.cache.OncePerInterval", "seconds": 60},
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain" if LOG_FORMAT == "plain" else "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Our request line replaces Django's own warning for every 4xx.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "ERROR"},
        "helpdesk.cache": {"filters": ["once_a_minute"]},
        "helpdesk.availability": {"filters": ["once_a_minute"]},
    },
}


# Last, once every setting above is known.
if not DEBUG:
    check_production_settings()
