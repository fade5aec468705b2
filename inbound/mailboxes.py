"""Polling mailboxes: IMAP by UID, POP3 by UIDL. A message is stored (committed) before it is marked as seen or
moved, and nothing is ever deleted from the server, so a crash at any point loses nothing: the next poll fetches
again and the store answers "already stored"."""

from __future__ import annotations

import contextlib
import imaplib
import logging
import poplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from inbound.models import AfterFetch, InboundMessage, Mailbox, Protocol, Security, Source
from inbound.services import inbound_store

logger = logging.getLogger(__name__)

MIN_POLL_SECONDS = 10
FETCH_BATCH = 200  # per poll; the rest come with the next one


class MailboxError(Exception):
    """The server refused or answered something we cannot use; the poll stops and says why in `last_error`."""


@dataclass
class PollResult:
    fetched: int = 0
    stored: int = 0


def mailboxes_due(*, now: datetime | None = None) -> list[int]:
    """Claim the active mailboxes whose poll is due. The next poll is pushed to now + interval by a conditional
    update, so two beats or workers never poll one mailbox at the same time."""
    now = now or timezone.now()
    claimed = []
    due = Mailbox.objects.filter(is_active=True, next_poll_at__lte=now).values_list(
        "id", "next_poll_at", "poll_interval_seconds"
    )
    for mailbox_id, next_poll_at, interval in due:
        next_poll = now + timedelta(seconds=max(interval, MIN_POLL_SECONDS))
        if Mailbox.objects.filter(pk=mailbox_id, next_poll_at=next_poll_at).update(next_poll_at=next_poll):
            claimed.append(mailbox_id)
    return claimed


def mailbox_poll(*, mailbox_id: int) -> PollResult | None:
    """Fetch what is new in one mailbox. A failure (server down, wrong password) is recorded on the mailbox, shown
    in the admin, and logged; None then. What was stored before the failure stays stored."""
    mailbox = Mailbox.objects.get(pk=mailbox_id)
    try:
        result = _poll_imap(mailbox) if mailbox.protocol == Protocol.IMAP else _poll_pop3(mailbox)
    except (OSError, imaplib.IMAP4.error, poplib.error_proto, MailboxError) as error:
        logger.warning("polling mailbox %s failed: %s", mailbox, error)
        Mailbox.objects.filter(pk=mailbox.pk).update(last_error=str(error)[:2000], last_polled_at=timezone.now())
        return None
    Mailbox.objects.filter(pk=mailbox.pk).update(last_error="", last_polled_at=timezone.now())
    return result


def tls_context() -> ssl.SSLContext:
    """Certificates are always verified; INBOUND_TLS_CA_FILE trusts a private CA (the system's CAs otherwise)."""
    return ssl.create_default_context(cafile=settings.INBOUND_TLS_CA_FILE or None)


# --- IMAP -------------------------------------------------------------------------------------------------------


def _imap_connect(mailbox: Mailbox) -> imaplib.IMAP4:
    timeout = settings.INBOUND_FETCH_TIMEOUT_SECONDS
    if mailbox.security == Security.TLS:
        connection = imaplib.IMAP4_SSL(mailbox.host, mailbox.port, ssl_context=tls_context(), timeout=timeout)
    else:
        connection = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=timeout)
        if mailbox.security == Security.STARTTLS:
            connection.starttls(ssl_context=tls_context())
    connection.login(mailbox.username, mailbox.password)
    # Servers announce more after login (MOVE, UIDPLUS) than before; imaplib keeps the first list.
    _, data = connection.capability()
    connection.capabilities = tuple((data[0] or b"").decode("ascii", errors="replace").upper().split())
    return connection


def _poll_imap(mailbox: Mailbox) -> PollResult:
    result = PollResult()
    connection = _imap_connect(mailbox)
    try:
        _ok(connection.select(_quoted(mailbox.folder)), f"select {mailbox.folder}")
        uid_validity = _uid_validity(connection)
        # A new UIDVALIDITY means the server renumbered the folder: start over; the store skips what it has.
        last_uid = mailbox.last_uid if mailbox.uid_validity == uid_validity else 0
        found = _ok(connection.uid("SEARCH", None, f"UID {last_uid + 1}:*"), "search")[0] or b""
        uids = sorted(uid for uid in (int(value) for value in found.split()) if uid > last_uid)[:FETCH_BATCH]
        for uid in uids:
            raw = _imap_fetch(connection, uid)
            if raw is None:
                continue  # expunged by someone else since the search
            result.fetched += 1
            stored = inbound_store(
                raw=raw, source=Source.IMAP, source_id=f"{mailbox.pk}:{uid_validity}:{uid}", mailbox=mailbox
            )
            result.stored += int(stored.created)
            _imap_after_fetch(connection, mailbox, uid)
            Mailbox.objects.filter(pk=mailbox.pk).update(uid_validity=uid_validity, last_uid=uid)
        if mailbox.after_fetch == AfterFetch.MOVE and uids and "MOVE" not in connection.capabilities:
            connection.expunge()  # the copies are in the processed folder; only now do the originals go
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            connection.logout()
    return result


def _imap_fetch(connection: imaplib.IMAP4, uid: int) -> bytes | None:
    data = _ok(connection.uid("FETCH", str(uid), "(BODY.PEEK[])"), f"fetch {uid}")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _imap_after_fetch(connection: imaplib.IMAP4, mailbox: Mailbox, uid: int) -> None:
    if mailbox.after_fetch == AfterFetch.MOVE and mailbox.processed_folder:
        folder = _quoted(mailbox.processed_folder)
        connection.create(folder)  # refused when it exists; that is fine
        if "MOVE" in connection.capabilities:
            _ok(connection.uid("MOVE", str(uid), folder), f"move {uid}")
        else:
            _ok(connection.uid("COPY", str(uid), folder), f"copy {uid}")
            _ok(connection.uid("STORE", str(uid), "+FLAGS", "(\\Deleted)"), f"flag {uid}")
    else:
        _ok(connection.uid("STORE", str(uid), "+FLAGS", "(\\Seen)"), f"mark {uid} seen")


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ok(response: tuple[str, list], what: str) -> list:
    status, data = response
    if status != "OK":
        raise MailboxError(f"IMAP {what}: {status} {data!r}")
    return data


def _uid_validity(connection: imaplib.IMAP4) -> int:
    _, data = connection.response("UIDVALIDITY")
    if not data or data[0] is None:
        raise MailboxError("The IMAP server did not report the folder's UIDVALIDITY.")
    return int(data[0])


# --- POP3 -------------------------------------------------------------------------------------------------------


def _pop3_connect(mailbox: Mailbox) -> poplib.POP3:
    timeout = settings.INBOUND_FETCH_TIMEOUT_SECONDS
    if mailbox.security == Security.TLS:
        connection = poplib.POP3_SSL(mailbox.host, mailbox.port, context=tls_context(), timeout=timeout)
    else:
        connection = poplib.POP3(mailbox.host, mailbox.port, timeout=timeout)
        if mailbox.security == Security.STARTTLS:
            connection.stls(context=tls_context())
    connection.user(mailbox.username)
    connection.pass_(mailbox.password)
    return connection


def _poll_pop3(mailbox: Mailbox) -> PollResult:
    """POP3 has no flags: messages stay on the server and their UIDL tells us which ones we already have."""
    result = PollResult()
    connection = _pop3_connect(mailbox)
    try:
        _, listing, _ = connection.uidl()
        # The whole listing: mail is never deleted here, so the oldest messages would otherwise fill any window.
        known = set(
            InboundMessage.objects.filter(source=Source.POP3, source_id__startswith=f"{mailbox.pk}:").values_list(
                "source_id", flat=True
            )
        )
        for line in listing:
            number, _, uidl = line.decode("ascii", errors="replace").partition(" ")
            source_id = f"{mailbox.pk}:{uidl.strip()}"
            if source_id in known:
                continue
            if result.fetched >= FETCH_BATCH:
                break
            _, lines, _ = connection.retr(int(number))
            result.fetched += 1
            stored = inbound_store(
                raw=b"\r\n".join(lines) + b"\r\n", source=Source.POP3, source_id=source_id, mailbox=mailbox
            )
            result.stored += int(stored.created)
    finally:
        with contextlib.suppress(OSError, poplib.error_proto):
            connection.quit()
    return result
