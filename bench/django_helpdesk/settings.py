"""Settings for django-helpdesk 2.6.1 as `make bench-django-helpdesk` runs it: production-like (DEBUG off, pooled
PostgreSQL connections, as our own app runs in the bench), its documented apps, nothing of ours.

Runs in its own virtualenv (bench/django_helpdesk/requirements.txt) with this folder as the working directory: its
package is named `helpdesk` too, so it cannot share a process with our app.
"""

import os
from urllib.parse import urlsplit

BASE_DIR = os.path.dirname(os.path.abspath(__file__))
SECRET_KEY = "bench-only-django-helpdesk-" + "x" * 40  # a server that listens on 127.0.0.1 only
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
SITE_ID = 1
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.sites",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "helpdesk",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "urls"
WSGI_APPLICATION = "wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

_database = urlsplit(os.environ["DH_DATABASE_URL"])
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _database.path.lstrip("/"),
        "USER": _database.username or "",
        "PASSWORD": _database.password or "",
        "HOST": _database.hostname or "",
        "PORT": str(_database.port or ""),
        "OPTIONS": {"pool": True},
    }
}

STATIC_URL = "/static/"
STATIC_ROOT = os.path.join(os.environ.get("DH_VAR_DIR", BASE_DIR), "static")
MEDIA_ROOT = os.path.join(os.environ.get("DH_VAR_DIR", BASE_DIR), "media")
LOGIN_URL = "helpdesk:login"
LOGIN_REDIRECT_URL = "helpdesk:home"

# Its teams mode needs pinax-teams, an optional extra; the bench's agent sees every queue either way.
HELPDESK_TEAMS_MODE_ENABLED = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
