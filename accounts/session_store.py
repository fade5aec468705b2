"""Django's database session store, with its one query per request compiled once per process (helpdesk/sql.py).

Every signed-in request reads its session row; building and compiling that query cost more than running it."""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.utils import timezone

from helpdesk.sql import CompiledQuery


def _session_by_key(session_key: str) -> QuerySet[Session]:
    return Session.objects.filter(session_key=session_key).order_by()


_SESSION_LOOKUP = CompiledQuery(_session_by_key, text=True)


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self) -> Session | None:
        """The unexpired row of this key, as Django's own store finds it; a missing or expired one forgets the key."""
        session = _SESSION_LOOKUP.first(self.session_key)
        if session is None or session.expire_date <= timezone.now():
            self._session_key = None
            return None
        return session
