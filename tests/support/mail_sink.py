"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every mail it receives; stopped and started again on the
same port to play a mail server that is down for a while."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.servers import free_port


class _Keep:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.sink.lock:
            self.sink.received.append(message)  # type: ignore[arg-type]
        return "250 OK"


@dataclass
class SmtpSink:
    port: int = field(default_factory=free_port)
    received: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    controller: Controller | None = None

    def start(self) -> SmtpSink:
        self.controller = Controller(_Keep(self), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return list(self.received)

    def message_ids(self) -> set[str]:
        """Distinct Message-IDs: a mail sent twice (a worker killed after sending, before recording it) counts once."""
        return {str(message["Message-ID"]) for message in self.messages()}
