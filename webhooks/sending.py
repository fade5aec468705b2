"""One HTTP POST of a delivery, to the address the SSRF check approved and to no other.

urllib3 is given the checked IP address as the host to connect to, and the URL's name only as the `Host` header
and (for https) the TLS server name and certificate name. Nothing resolves the name again between the check and
the connection, so a DNS answer that changes in between (DNS rebinding) cannot move the request. Redirects are not
followed, proxies from the environment are not used, and only the head of the response is read.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from datetime import datetime

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


def _head(response: urllib3.BaseHTTPResponse, body_start: bytes) -> str:
    lines = [f"HTTP {response.status} {response.reason or ''}".rstrip()]
    lines += [f"{name}: {value}" for name, value in response.headers.items()]
    text = "\n".join(lines) + "\n\n" + body_start.decode("utf-8", errors="replace")
    return text[:HEAD_MAX_CHARS]


def post(*, target: Target, headers: dict[str, str], body: bytes, now: datetime | None = None) -> Outcome:
    """POST the body; every failure (refused, timed out, reset, TLS) is an Outcome with an error, never raised."""
    now = now or timezone.now()
    timeout = urllib3.Timeout(connect=settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS, read=settings.WEBHOOK_TIMEOUT_SECONDS)
    all_headers = {
        "Host": target.host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **headers,
    }
    started = time.monotonic()
    pool = _pool(target, timeout)
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
        duration = int((time.monotonic() - started) * 1000)
        return Outcome(error=f"{type(error).__name__}: {error}"[:500], duration_ms=duration)
    finally:
        pool.close()
    duration = int((time.monotonic() - started) * 1000)
    return Outcome(
        status=response.status,
        head=_head(response, body_start),
        duration_ms=duration,
        retry_after=retry_after_seconds(response.headers.get("Retry-After"), now),
    )
