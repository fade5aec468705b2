"""A message body that is only RTF (Outlook's "rich text" winmail.dat) read as text in a bounded child process
(inbound.rtf_child): decompressing it and reading it may take minutes or much memory on hostile input, in code the
worker's soft time limit cannot interrupt. The child is a new interpreter (subprocess), not multiprocessing: Celery's
prefork children are daemonic and may not have children of their own.
"""

from __future__ import annotations

import logging
import math
import subprocess
import sys

from django.conf import settings

from inbound.charsets import storable

logger = logging.getLogger(__name__)

# Ordinary RTF bodies of a few MB decompress and convert in a few seconds within tens of MB; a hostile one that
# expands eightfold (LZFu's most) past this fails with a MemoryError rather than taking the worker's memory.
RTF_CHILD_MEMORY_BYTES = 512 * 1024 * 1024


def rtf_body_text(compressed_rtf: bytes) -> str:
    """The text of a compressed RTF body (PR_RTF_COMPRESSED), or "" when it cannot be read within
    INBOUND_RTF_SECONDS and RTF_CHILD_MEMORY_BYTES (the caller then keeps the winmail.dat, the words' only copy)."""
    seconds = settings.INBOUND_RTF_SECONDS
    command = [
        sys.executable,
        "-m",
        "inbound.rtf_child",
        str(math.ceil(seconds)),
        str(RTF_CHILD_MEMORY_BYTES),
    ]
    try:
        # cwd: `-m` finds inbound.rtf_child from the project directory, whatever the worker's or test runner's cwd.
        result = subprocess.run(  # noqa: S603 - our own interpreter and module, no shell; the RTF goes on stdin
            command, input=compressed_rtf, capture_output=True, timeout=seconds, cwd=settings.BASE_DIR, check=False
        )
    except subprocess.TimeoutExpired:  # run() has killed the child
        logger.info("kept a winmail.dat whose RTF body was not read within %s s", seconds)
        return ""
    except OSError:  # no process could be started (out of processes or memory)
        logger.info("kept a winmail.dat whose RTF body could not be read: no child process", exc_info=True)
        return ""
    if result.returncode != 0:
        logger.info(
            "kept a winmail.dat whose RTF body could not be read (exit %s): %s",
            result.returncode,
            _last_line(result.stderr),
        )
        return ""
    return storable(result.stdout.decode("utf-8", errors="replace")).strip()


def _last_line(stderr: bytes) -> str:
    """The child's exception, which ends its traceback; nothing when the kernel stopped it (a signal, exit < 0)."""
    lines = stderr.decode("utf-8", errors="replace").strip().splitlines()
    return lines[-1][:500] if lines else ""
