"""One HTTP POST of a delivery, to the address the SSRF check approved and to no other.

urllib3 is given the checked IP address as the host to connect to, and the URL's name only as the `Host` header
and (for https) the TLS server name and certificate name. Nothing resolves the name again between the check and
the connection, so a DNS answer that changes in between (DNS rebinding) cannot move the request. Redirects are not
followed, proxies from the environment are not used, and only the head of the response is read.
"""

from __future__ import annotations

import email.utils
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import certifi
import urllib3
from django.conf import settings
from django.utils import timezone

from webhooks.ssrf import Target

HEAD_BODY_BYTES = 1024
HEAD_MAX_CHARS = 4000
USER_AGENT = "Helpdesk-Webhooks/1"


@dataclass(frozen=True)
class Outcome:
    status: int | None = None
    head: str = ""
    error: str = ""
    duration_ms: int = 0
    retry_after: float | None = None  # seconds, from the response's Retry-After

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """`Retry-After` as seconds from now: a number of seconds, or an HTTP date. None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max((when - now).total_seconds(), 0.0)


def _pool(target: Target, timeout: urllib3.Timeout) -> urllib3.HTTPConnectionPool:
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            host=str(target.address),
            port=target.port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=settings.WEBHOOK_CA_FILE or certifi.where(),
        )
    return urllib3.HTTPConnectionPool(
        host=str(target.address), port=target.port, timeout=timeout, retries=False, maxsize=1
    )


class _Deadline:
    """Shuts the attempt's connection down once `seconds` have passed.

    urllib3's timeouts, `Timeout(total=...)` included, bound each read, not the whole answer (its docs: a server
    streaming one byte every fifteen seconds never trips a 20 s timeout), and it has no overall deadline; without
    this a receiver trickling its answer holds a worker for as long as it likes. Shutting the socket down from the
    timer's thread ends the worker's blocked read at once.
    """

    def __init__(self, pool: urllib3.HTTPConnectionPool, seconds: float) -> None:
        self.passed = False
        self._connections: list[Any] = []
        open_connection = pool.ConnectionCls

        # The pool opens the connection inside urlopen; this is the one way to get hold of it before the answer.
        def remembered(**kwargs: Any) -> Any:
            connection = open_connection(**kwargs)
            self._connections.append(connection)
            return connection

        pool.ConnectionCls = remembered
        self._timer = threading.Timer(seconds, self._cut_off)
        self._timer.daemon = True
        self._timer.start()

    def _cut_off(self) -> None:
        self.passed = True
        for connection in self._connections:
            try:
                if connection.sock is not None:
                    connection.sock.shutdown(socket.SHUT_RDWR)
            except OSError:  # closed in the meantime: nothing left to cut
                pass

    def cancel(self) -> None:
        self._timer.cancel()


def _head(response: urllib3.BaseHTTPResponse, body_start: bytes) -> str:
    lines = [f"HTTP {response.status} {response.reason or ''}".rstrip()]
    lines += [f"{name}: {value}" for name, value in response.headers.items()]
    text = "\n".join(lines) + "\n\n" + body_start.decode("utf-8", errors="replace")
    # PostgreSQL text cannot hold NUL ("cannot contain NUL (0x00) bytes"): the attempt could not be stored at all.
    return text.replace("\x00", "\ufffd")[:HEAD_MAX_CHARS]


def post(*, target: Target, headers: dict[str, str], body: bytes, now: datetime | None = None) -> Outcome:
    """POST the body; every failure (refused, timed out, reset, TLS) is an Outcome with an error, never raised."""
    now = now or timezone.now()
    timeout = urllib3.Timeout(connect=settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS, read=settings.WEBHOOK_TIMEOUT_SECONDS)
    deadline_seconds = settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS + settings.WEBHOOK_TIMEOUT_SECONDS
    all_headers = {
        "Host": target.host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **headers,
    }
    started = time.monotonic()
    pool = _pool(target, timeout)
    deadline = _Deadline(pool, deadline_seconds)
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers=all_headers,
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            body_start = response.read(HEAD_BODY_BYTES)
        finally:
            response.release_conn()
    except (urllib3.exceptions.HTTPError, OSError) as error:
        failure = f"{type(error).__name__}: {error}"
    else:
        failure = ""
    finally:
        deadline.cancel()
        pool.close()
    duration = int((time.monotonic() - started) * 1000)
    # Checked even when the answer looked complete: a cut-off head can parse as a short, valid answer.
    if deadline.passed:
        failure = f"Cut off: no complete answer within {deadline_seconds:g} seconds."
    if failure:
        return Outcome(error=failure[:500], duration_ms=duration)
    return Outcome(
        status=response.status,
        head=_head(response, body_start),
        duration_ms=duration,
        retry_after=retry_after_seconds(response.headers.get("Retry-After"), now),
    )
