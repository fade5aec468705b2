"""Where a webhook may be sent: only to public addresses, checked when the URL is saved and again when it is sent.

A URL's host is resolved and every address it resolves to must be public: loopback, private, link-local (cloud
metadata at 169.254.169.254), shared, multicast, reserved, unspecified and IPv6 ULA (fd00:ec2::254) are refused,
and so are IPv4 addresses hidden in IPv6 ones (::ffff:127.0.0.1, 6to4, Teredo, NAT64). A host written as a number
in any form other than the usual dotted quad (2130706433, 0x7f.1, 017700000001, 127.1) is refused before any
lookup, so no resolver's reading of it matters. The sender then connects to the address checked here, never
resolving the name again (see webhooks/sending.py), so a DNS answer that changes in between cannot redirect it.

WEBHOOK_ALLOWED_HOSTS lists host names, addresses or networks (CIDR) that are let through anyway, for deployments
whose receivers are on an internal network.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import idna
from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

CLOUD_METADATA = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack...
        ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    }
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# A name is letters, digits and hyphens in dot-separated labels whose last one is not all digits: anything else
# that is not an IP literal is a number in disguise (or not a host at all).
HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class UnsafeUrl(ValueError):
    """The URL may not receive webhooks; the message says why, in words an admin can act on."""


@dataclass(frozen=True)
class Target:
    """A URL checked and resolved: connect to `address`, and speak to `host` (Host header, TLS name)."""

    scheme: str
    host: str
    port: int
    address: IPAddress
    path: str  # with the query string

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal_reason(address: IPAddress) -> str | None:
    """Why a webhook may not go to this address, or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            reason = refusal_reason(embedded)
            return f"{reason} (inside the IPv6 address {address})" if reason else None
    if address in CLOUD_METADATA:
        return f"{address} is a cloud metadata service"
    for reason, flag in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    ):
        if flag:
            return f"{address} is a {reason} address"
    if not address.is_global:
        return f"{address} is not a public address"
    return None


def _literal(host: str) -> IPAddress | None:
    """The host as an IP address when it is written as one (the dotted quad, or IPv6 in brackets)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _ascii_host(host: str) -> str:
    """An international name in the ASCII form DNS, the Host header and TLS know (bücher.example is
    xn--bcher-kva.example). Converted before any other check: UTS 46 maps full-width digits and dots to ASCII, so a
    disguised address comes out as the number it is."""
    if host.isascii():
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError as error:
        raise UnsafeUrl(f"“{host}” is not a valid international domain name: {error}.") from error


def _check_name(host: str) -> None:
    labels = host.rstrip(".").split(".")
    if not all(HOST_LABEL.match(label) for label in labels) or labels[-1].isdigit() or labels[-1].startswith("0x"):
        raise UnsafeUrl(
            f"“{host}” is not a host name or a dotted-quad address: write addresses as 203.0.113.5 or [2001:db8::1]."
        )


def _allowed_entries() -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    names: set[str] = set()
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for entry in settings.WEBHOOK_ALLOWED_HOSTS:
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            names.add(_ascii_host(entry.lower()).rstrip("."))  # compared with URLs' hosts in the same form
    return names, networks


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the name resolves to, in the resolver's order. Kept apart so tests can stand in for DNS."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeUrl(f"“{host}” could not be resolved: {error}") from error
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in answers:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def target_for(url: str) -> Target:
    """Check the URL and resolve its host; raises UnsafeUrl saying why when it may not receive webhooks."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeUrl(f"This URL cannot be read: {error}.") from error
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("Use an http:// or https:// URL.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("Leave credentials out of the URL; the signature proves who is calling.")
    host = _ascii_host((parts.hostname or "").lower())
    if not host:
        raise UnsafeUrl("The URL has no host.")
    port = port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"

    literal = _literal(host)
    if literal is None:
        _check_name(host)
    allowed_names, allowed_networks = _allowed_entries()
    addresses = [literal] if literal is not None else resolve(host, port)
    if not addresses:
        raise UnsafeUrl(f"“{host}” has no address.")
    if host.rstrip(".") not in allowed_names:
        for address in addresses:
            if any(address in network for network in allowed_networks):
                continue
            reason = refusal_reason(address)
            if reason is not None:
                where = "" if literal is not None else f"“{host}” resolves to {address}: "
                raise UnsafeUrl(
                    f"{where}{reason}. Webhooks go only to public addresses (an internal receiver must be listed "
                    "in WEBHOOK_ALLOWED_HOSTS)."
                )
    return Target(scheme=parts.scheme, host=host, port=port, address=addresses[0], path=path)


def url_problem(url: str) -> str | None:
    """Why the URL may not receive webhooks, or None: for forms and serializers."""
    try:
        target_for(url)
    except UnsafeUrl as error:
        return str(error)
    return None
