# Loaded with Django so that `shared_task` everywhere binds to this app and its settings.
from helpdesk.celery import app as celery_app

__all__ = ("celery_app",)
