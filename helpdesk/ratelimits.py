"""API rate limits: three tiers counted by django-ratelimit in the shared cache, reported in RateLimit-* headers.

Every API view is throttled by `ApiRateThrottle` (DRF's DEFAULT_THROTTLE_CLASSES): safe methods spend the reads
budget, anything else the writes budget, both per signed-in user (per client address when anonymous). Credential
endpoints pin the strict tier with `@throttle_classes([CredentialsRateThrottle])`, counted per client address and per
submitted account, so neither rotating addresses nor rotating accounts buys a fresh quota.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django_ratelimit.core import get_usage
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from accounts.models import normalize_email_address

if TYPE_CHECKING:
    # DRF's views module reads DEFAULT_THROTTLE_CLASSES, which names this module: import it lazily.
    from rest_framework.views import APIView

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
RatelimitKey = str | Callable[[str, Any], str]

RATE_FORMAT = re.compile(r"\d+/\d*[smhd]")
USAGE_ATTRIBUTE = "rate_limit_usage"  # set on Django's HttpRequest by the throttle, read by the middleware


# --- The client's address ---------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _parse_networks(entries: tuple[str, ...]) -> tuple[IpNetwork, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ImproperlyConfigured(f"TRUSTED_PROXIES: {entry!r} is not an IP address or network") from None
    return tuple(networks)


def trusted_proxy_networks() -> tuple[IpNetwork, ...]:
    return _parse_networks(tuple(settings.TRUSTED_PROXIES))


def _parse_address(value: str) -> IpAddress | None:
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    # An IPv4 client reaching an IPv6 socket is still that IPv4 client.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _is_trusted(address: IpAddress, networks: tuple[IpNetwork, ...]) -> bool:
    return any(address in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """The address a request is counted under; django-ratelimit's `ip` key calls this (RATELIMIT_IP_META_KEY).

    X-Forwarded-For is written by whoever sends the request, so it is believed only when the peer (REMOTE_ADDR) is
    one of TRUSTED_PROXIES. Each trusted proxy appends the address it saw, so walking the header from the right past
    our own proxies reaches the first address no proxy of ours vouches for: the client. Anything a client puts to the
    left of that is never read, and a garbled hop counts the request under the proxy rather than under a guess.
    """
    remote = _parse_address(request.META.get("REMOTE_ADDR", ""))
    if remote is None:
        raise ImproperlyConfigured("REMOTE_ADDR is not an IP address: serve over TCP or set it in the proxy")
    networks = trusted_proxy_networks()
    if not _is_trusted(remote, networks):
        return str(remote)
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _parse_address(hop)
        if address is None:
            return str(remote)
        if not _is_trusted(address, networks):
            return str(address)
    return str(remote)


# --- Tiers -------------------------------------------------------------------------------------------------------


def _always(request: Request) -> bool:
    return True


def _submitted_account(group: str, request: Request) -> str:
    email = request.data.get("email", "") if hasattr(request.data, "get") else ""
    return normalize_email_address(str(email))


def _has_submitted_account(request: Request) -> bool:
    # No email, no password check: those requests are refused with 400 and need only the per-address counter.
    return bool(_submitted_account("", request))


@dataclass(frozen=True)
class Counter:
    """One django-ratelimit counter: its group (kept apart from every other counter) and its key."""

    group: str
    key: RatelimitKey
    applies: Callable[[Request], bool] = _always


@dataclass(frozen=True)
class Tier:
    rate_setting: str
    counters: tuple[Counter, ...]

    @property
    def rate(self) -> str:
        return getattr(settings, self.rate_setting)


TIERS = {
    "credentials": Tier(
        "RATE_LIMIT_CREDENTIALS",
        (
            Counter("api:credentials:ip", "ip"),
            Counter("api:credentials:account", _submitted_account, applies=_has_submitted_account),
        ),
    ),
    "writes": Tier("RATE_LIMIT_WRITES", (Counter("api:writes", "user_or_ip"),)),
    "reads": Tier("RATE_LIMIT_READS", (Counter("api:reads", "user_or_ip"),)),
}


def tier_for_method(method: str | None) -> str:
    return "reads" if method in SAFE_METHODS else "writes"


def check_configuration() -> None:
    """Refuse to start with a rate or a proxy list that would only fail on the first request."""
    for tier in TIERS.values():
        if not RATE_FORMAT.fullmatch(tier.rate):
            raise ImproperlyConfigured(f"{tier.rate_setting}: {tier.rate!r} is not a rate such as 30/m")
    trusted_proxy_networks()


# --- Counting ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    limit: int
    remaining: int
    reset: int  # whole seconds until the window resets, at least 1
    exceeded: bool


def _usage(request: Request | HttpRequest, counter: Counter, rate: str, *, increment: bool) -> Usage | None:
    counted = get_usage(request, group=counter.group, key=counter.key, rate=rate, increment=increment)
    if counted is None:
        return None  # RATELIMIT_ENABLE is off
    return Usage(
        limit=counted["limit"],
        remaining=max(0, counted["limit"] - counted["count"]),
        # time_left counts to the window's last whole second, which itself still belongs to the window.
        reset=max(1, counted["time_left"] + 1),
        exceeded=counted["should_limit"],
    )


def _tightest(usages: list[Usage]) -> Usage:
    """What the client must respect: a refusing counter (the one that clears last) before the fewest remaining."""
    return max(usages, key=lambda usage: (usage.exceeded, -usage.remaining, usage.reset))


def tier_usage(request: Request | HttpRequest, tier_name: str, *, increment: bool) -> Usage | None:
    tier = TIERS[tier_name]
    usages = []
    for counter in tier.counters:
        if counter.applies(request):
            usage = _usage(request, counter, tier.rate, increment=increment)
            if usage is not None:
                usages.append(usage)
    return _tightest(usages) if usages else None


class ApiRateThrottle(BaseThrottle):
    """Counts the request in its tier and leaves the usage on the request for the RateLimit-* headers."""

    tier: str | None = None  # None: chosen by the method
    retry_after: int | None = None

    def allow_request(self, request: Request, view: APIView) -> bool:
        usage = tier_usage(request, self.tier or tier_for_method(request.method), increment=True)
        setattr(request._request, USAGE_ATTRIBUTE, usage)
        self.retry_after = usage.reset if usage else None
        return usage is None or not usage.exceeded

    def wait(self) -> float | None:
        return self.retry_after


class CredentialsRateThrottle(ApiRateThrottle):
    tier = "credentials"


# --- Headers -----------------------------------------------------------------------------------------------------


class RateLimitHeadersMiddleware:
    """Adds RateLimit-Limit, -Remaining and -Reset to every /api/ response, errors included.

    DRF authenticates and checks permissions before it throttles, so a 401, a 403 or an unknown URL never reaches
    the throttle: those responses report the caller's current usage of the tier its method falls in, uncounted.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from helpdesk.api_errors import API_PREFIX  # imports DRF's views, which import this module

        check_configuration()
        self.api_prefix = API_PREFIX
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(self.api_prefix):
            usage = getattr(request, USAGE_ATTRIBUTE, None)
            if usage is None:
                usage = tier_usage(request, tier_for_method(request.method), increment=False)
            if usage is not None:
                response["RateLimit-Limit"] = str(usage.limit)
                response["RateLimit-Remaining"] = str(usage.remaining)
                response["RateLimit-Reset"] = str(usage.reset)
        return response
