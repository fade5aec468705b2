"""Store one message read on standard input, for a mail server's pipe (Postfix `pipe`, Exim `pipe` transport).

Exit codes follow sysexits.h, which Postfix and Exim understand: 0 stored (or already stored), 65 (EX_DATAERR) for
empty input, 75 (EX_TEMPFAIL) when the database cannot be reached, so the mail server keeps the message and tries
again, and 70 (EX_SOFTWARE) for anything else. Nothing is printed on success: a pipe's output becomes a bounce.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, InterfaceError, OperationalError

from inbound.models import Mailbox, Source
from inbound.services import inbound_store

EX_DATAERR = 65
EX_SOFTWARE = 70
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Store one email read on standard input; it is processed by the worker. Exit codes per sysexits.h."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--recipient", default="", help="The envelope recipient (Postfix: ${recipient}).")
        parser.add_argument("--mailbox", default="", help="The name of the mailbox whose category and team apply.")

    def handle(self, *args: Any, **options: Any) -> None:
        raw = sys.stdin.buffer.read()
        if not raw.strip():
            raise CommandError("No message on standard input.", returncode=EX_DATAERR)
        try:
            mailbox = Mailbox.objects.filter(name=options["mailbox"]).first() if options["mailbox"] else None
            if options["mailbox"] and mailbox is None:
                raise CommandError(f"No mailbox named {options['mailbox']!r}.", returncode=EX_SOFTWARE)
            stored = inbound_store(
                raw=raw, source=Source.PIPE, mailbox=mailbox, envelope_recipient=options["recipient"]
            )
        except (OperationalError, InterfaceError) as error:
            raise CommandError(f"Database unavailable, try again later: {error}", returncode=EX_TEMPFAIL) from error
        except DatabaseError as error:
            raise CommandError(f"Could not store the message: {error}", returncode=EX_SOFTWARE) from error
        if options["verbosity"] >= 2:
            state = "Stored" if stored.created else "Already stored"
            self.stdout.write(f"{state} as inbound message {stored.message.pk}.")
