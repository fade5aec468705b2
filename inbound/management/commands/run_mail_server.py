"""Receive mail by SMTP or LMTP (aiosmtpd), for deployments whose MX, or whose mail server's LMTP delivery, points
at the helpdesk. Each message is stored before the answer 250; the worker processes it."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP
from django.core.management.base import BaseCommand, CommandParser

from inbound.smtp import StoreHandler, data_size_limit


class Command(BaseCommand):
    help = "Listen for mail by SMTP (or LMTP with --lmtp) and store it for the worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=2525, help="Port (default 2525; 0 picks a free one).")
        parser.add_argument("--lmtp", action="store_true", help="Speak LMTP instead of SMTP.")
        parser.add_argument("--hostname", default="", help="The name in the greeting (default: this host's).")

    def handle(self, *args: Any, **options: Any) -> None:
        asyncio.run(self._serve(options))

    async def _serve(self, options: dict[str, Any]) -> None:
        lmtp = options["lmtp"]
        handler = StoreHandler(lmtp=lmtp)
        server_class = LMTP if lmtp else SMTP
        extra = {"hostname": options["hostname"]} if options["hostname"] else {}

        def protocol() -> SMTP:
            return server_class(
                handler, data_size_limit=data_size_limit(), enable_SMTPUTF8=True, decode_data=False, **extra
            )

        loop = asyncio.get_running_loop()
        server = await loop.create_server(protocol, host=options["host"], port=options["port"])
        stop = asyncio.Event()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signal_number, stop.set)
        host, port = server.sockets[0].getsockname()[:2]
        self.stdout.write(f"Listening for {'LMTP' if lmtp else 'SMTP'} on {host}:{port}")
        self.stdout.flush()
        await stop.wait()
        server.close()
        await server.wait_closed()
