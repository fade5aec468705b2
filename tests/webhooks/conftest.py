"""A real receiver on 127.0.0.1 (a threaded http.server), let through by WEBHOOK_ALLOWED_HOSTS, and endpoints."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from events.models import Event, EventKind
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import deliveries_prepare, webhook_endpoint_create


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Receiver:
    port: int = 0
    received: list[Received] = field(default_factory=list)
    respond: Callable[[Received], Answer] = lambda request: (200, {}, b"thanks")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/helpdesk"

    def answer_with(self, status: int, headers: dict[str, str] | None = None, body: bytes = b"") -> None:
        self.respond = lambda request: (status, headers or {}, body)

    def kinds(self) -> list[str]:
        import json

        return [json.loads(request.body)["type"] for request in self.received]


class QuietServer(ThreadingHTTPServer):
    """A client that gave up (a timeout test, a killed worker) is expected here: no traceback on stderr."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


def _handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            request = Received(self.path, dict(self.headers.items()), self.rfile.read(length))
            receiver.received.append(request)
            status, headers, body = receiver.respond(request)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    receiver = Receiver()
    server = QuietServer(("127.0.0.1", 0), _handler_for(receiver))
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def endpoint(receiver: Receiver, carol) -> WebhookEndpoint:
    """Carol's endpoint at the receiver: every kind, no internal events."""
    return webhook_endpoint_create(url=receiver.url, actor=carol, description="CRM sync")


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what is queued after commit (event dispatch, deliveries), as the real transaction would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def queued(monkeypatch) -> list[tuple[int, float]]:
    """What would be handed to the worker, instead of running it at once: (delivery id, countdown)."""
    from webhooks import services

    calls: list[tuple[int, float]] = []
    monkeypatch.setattr(
        services, "queue_delivery", lambda delivery_id, countdown=0: calls.append((delivery_id, countdown))
    )
    return calls


@pytest.fixture
def clock():
    """Time stands still from now on; tests move it (`clock.shift(...)`). The wall clock never decides a test."""
    import time_machine
    from django.utils import timezone

    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def prepared_delivery(endpoint: WebhookEndpoint, ticket, kind: str = EventKind.TICKET_CREATED) -> WebhookDelivery:
    """The endpoint's delivery of the ticket's latest event of this kind, prepared but never queued (the test never
    commits), so that the test makes each attempt itself."""
    event = Event.objects.filter(ticket=ticket, kind=kind).latest("pk")
    if event.created_at < endpoint.created_at:  # the ticket fixture may be older than the endpoint
        event.created_at = endpoint.created_at
        event.save()
    deliveries = [delivery for delivery in deliveries_prepare(event=event) if delivery.endpoint_id == endpoint.pk]
    (delivery,) = [delivery for delivery in deliveries if delivery.event_id == event.pk]
    return delivery
