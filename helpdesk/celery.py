"""The Celery app: settings from Django's (the CELERY_ ones), tasks from each app's tasks.py.

Run a worker with `celery -A helpdesk worker` and the scheduler with `celery -A helpdesk beat` (see the README).
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

app = Celery("helpdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
