"""No webhook goes to a non-public address, however it is written, unless WEBHOOK_ALLOWED_HOSTS lets it through."""

from __future__ import annotations

import socket

import pytest

from webhooks import ssrf

REFUSED = [
    # loopback, in every spelling a resolver might accept
    "http://127.0.0.1/",
    "http://127.0.0.1:8080/hook",
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://0x7f000001/",
    "http://0x7f.0x0.0x0.0x1/",
    "http://017700000001/",
    "http://0177.0.0.1/",
    "http://0177.1/",
    "http://127.000.000.001/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[0:0:0:0:0:ffff:127.0.0.1]/",
    "http://[2002:7f00:1::]/",  # 6to4 around 127.0.0.1
    "http://[64:ff9b::7f00:1]/",  # NAT64 around 127.0.0.1
    "http://localhost/",
    "http://LOCALHOST./",
    # unspecified
    "http://0.0.0.0/",
    "http://0/",
    "http://[::]/",
    # cloud metadata
    "http://169.254.169.254/latest/meta-data/",
    "http://2852039166/latest/meta-data/",
    "http://0xa9fea9fe/",
    "http://[::ffff:169.254.169.254]/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://100.100.100.200/",
    # private, shared, link-local
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://169.254.1.1/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[::ffff:10.0.0.1]/",
    # multicast, broadcast, reserved, documentation
    "http://224.0.0.1/",
    "http://239.255.255.250/",
    "http://[ff02::1]/",
    "http://255.255.255.255/",
    "http://240.0.0.1/",
    "http://192.0.2.1/",
    "http://[2001:db8::1]/",
    # not a web URL at all, or one that hides credentials
    "ftp://93.184.216.34/",
    "file:///etc/passwd",
    "gopher://93.184.216.34/",
    "http://user:pass@93.184.216.34/",
    "http:///nohost",
    "http://93.184.216.34:99999/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_a_non_public_or_disguised_address_is_refused(url, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    with pytest.raises(ssrf.UnsafeUrl):
        ssrf.target_for(url)


@pytest.mark.parametrize(
    "url",
    ["http://93.184.216.34/hooks", "https://93.184.216.34:8443/h?x=1", "https://[2606:2800:220:1:248:1893:25c8:1946]/"],
)
def test_a_public_address_is_accepted(url, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    assert ssrf.target_for(url).address.is_global


def test_the_reason_names_the_kind_of_address(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    with pytest.raises(ssrf.UnsafeUrl, match="cloud metadata"):
        ssrf.target_for("http://169.254.169.254/")
    with pytest.raises(ssrf.UnsafeUrl, match=r"loopback.*inside the IPv6 address"):
        ssrf.target_for("http://[::ffff:127.0.0.1]/")
    with pytest.raises(ssrf.UnsafeUrl, match="dotted-quad"):
        ssrf.target_for("http://2130706433/")


def test_a_name_that_resolves_to_a_private_address_is_refused(settings, monkeypatch):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: [ssrf.ipaddress.ip_address("10.1.2.3")])
    with pytest.raises(ssrf.UnsafeUrl, match=r"“hooks\.example\.com” resolves to 10\.1\.2\.3"):
        ssrf.target_for("https://hooks.example.com/")


def test_one_private_address_among_public_ones_is_enough_to_refuse(settings, monkeypatch):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    answers = [ssrf.ipaddress.ip_address("93.184.216.34"), ssrf.ipaddress.ip_address("127.0.0.1")]
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: answers)
    with pytest.raises(ssrf.UnsafeUrl):
        ssrf.target_for("https://hooks.example.com/")


def test_allowed_hosts_let_an_internal_receiver_through_by_name_address_or_network(settings, monkeypatch):
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: [ssrf.ipaddress.ip_address("10.1.2.3")])
    settings.WEBHOOK_ALLOWED_HOSTS = ["crm.internal"]
    assert str(ssrf.target_for("http://crm.internal:8080/hook").address) == "10.1.2.3"
    settings.WEBHOOK_ALLOWED_HOSTS = ["10.1.0.0/16"]
    assert str(ssrf.target_for("http://crm.internal/hook").address) == "10.1.2.3"
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    assert str(ssrf.target_for("http://127.0.0.1:9000/").address) == "127.0.0.1"
    with pytest.raises(ssrf.UnsafeUrl):
        ssrf.target_for("http://crm.internal/hook")  # 10.1.2.3 is not 127.0.0.1


def test_allowing_an_address_does_not_allow_its_disguises(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    for disguised in ("http://2130706433/", "http://0x7f.1/", "http://017700000001/", "http://127.1/"):
        with pytest.raises(ssrf.UnsafeUrl):
            ssrf.target_for(disguised)


def test_an_unresolvable_name_is_refused_with_a_clear_reason(settings, monkeypatch):
    settings.WEBHOOK_ALLOWED_HOSTS = []

    def no_such_name(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    with pytest.raises(ssrf.UnsafeUrl, match="could not be resolved"):
        ssrf.target_for("https://hooks.example.invalid/")


def test_an_international_name_is_checked_resolved_and_spoken_to_in_its_ascii_form(settings, monkeypatch):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    asked = []

    def public(host, port):
        asked.append(host)
        return [ssrf.ipaddress.ip_address("93.184.216.34")]

    monkeypatch.setattr(ssrf, "resolve", public)
    target = ssrf.target_for("https://Bücher.example/hooks")
    assert asked == ["xn--bcher-kva.example"]
    assert target.host_header == "xn--bcher-kva.example"


def test_an_address_in_full_width_digits_is_the_address_it_spells(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    with pytest.raises(ssrf.UnsafeUrl, match="loopback"):
        ssrf.target_for("http://１２７.０.０.１/")


def test_a_name_no_dns_can_hold_is_refused_with_a_clear_reason(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    with pytest.raises(ssrf.UnsafeUrl, match="not a valid international domain name"):
        ssrf.target_for("https://a\u200db.example/")


def test_an_international_name_allowed_as_written_lets_its_receiver_through(settings, monkeypatch):
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: [ssrf.ipaddress.ip_address("10.1.2.3")])
    settings.WEBHOOK_ALLOWED_HOSTS = ["crm.bücher.internal"]
    assert str(ssrf.target_for("http://crm.bücher.internal/hook").address) == "10.1.2.3"
