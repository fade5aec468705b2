"""An https receiver is reached at the checked address with the URL's name as TLS server name (SNI), and its
certificate must be valid for that name. A self-signed certificate, trusted through WEBHOOK_CA_FILE."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.webhooks.conftest import QuietServer, Receiver, _handler_for
from tickets.models import Status
from tickets.services import ticket_change_status
from webhooks.models import WebhookAttempt
from webhooks.services import webhook_endpoint_create

NAME = "hooks.tls.test"


def self_signed(tmp_path, name: str) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_file), str(key_file)


@pytest.fixture
def tls_receiver(tmp_path, settings, monkeypatch, request):
    certificate_name = getattr(request, "param", NAME)
    cert_file, key_file = self_signed(tmp_path, certificate_name)
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_CA_FILE = cert_file
    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda host, *a, **k: real_getaddrinfo("127.0.0.1" if host == NAME else host, *a, **k)
    )
    receiver = Receiver()
    server_names: list[str | None] = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    context.sni_callback = lambda sock, server_name, ctx: server_names.append(server_name)
    server = QuietServer(("127.0.0.1", 0), _handler_for(receiver))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver, server_names
    finally:
        server.shutdown()
        server.server_close()


def test_an_https_receiver_gets_the_name_as_sni_and_host(tls_receiver, carol, ticket, bob, on_commit):
    receiver, server_names = tls_receiver
    webhook_endpoint_create(
        url=f"https://{NAME}:{receiver.port}/hooks", actor=carol, event_kinds=["ticket.status_changed"]
    )
    with on_commit():
        ticket_change_status(ticket=ticket, actor=bob, status=Status.OPEN)
    assert WebhookAttempt.objects.get().status_code == 200
    assert server_names == [NAME]
    assert receiver.received[0].headers["Host"] == f"{NAME}:{receiver.port}"


@pytest.mark.parametrize("tls_receiver", ["someone-else.test"], indirect=True)
def test_a_certificate_for_another_name_is_refused(tls_receiver, carol, ticket, bob, on_commit):
    receiver, _ = tls_receiver
    webhook_endpoint_create(
        url=f"https://{NAME}:{receiver.port}/hooks", actor=carol, event_kinds=["ticket.status_changed"]
    )
    with on_commit():
        ticket_change_status(ticket=ticket, actor=bob, status=Status.OPEN)
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and "SSLError: hostname 'hooks.tls.test' doesn't match" in attempt.error
    assert receiver.received == []
