"""The child process in which inbound.rtf reads a message's compressed RTF body (Outlook's PR_RTF_COMPRESSED):
`python -m inbound.rtf_child CPU_SECONDS MEMORY_BYTES`, the compressed RTF on stdin, the text in UTF-8 on stdout.

Both steps are untrusted work that must not run in the worker. Decompression (pure Python) can give up to eight
times its input and takes time with it; striprtf's regular expressions ran for minutes on a hostile 128 KB line, in C
code that no Python signal interrupts, so only a process can be stopped there. The limits are set here, before the
input is read, rather than in a preexec_fn: a preexec_fn runs between fork and exec in a process that may have threads
(where Python warns it can deadlock), and stops subprocess from using vfork. Only the standard library and the two
readers are imported, no Django: the child starts in tens of milliseconds.
"""

from __future__ import annotations

import codecs
import re
import resource
import sys

from compressed_rtf import decompress
from striprtf.striprtf import rtf_to_text

# RTF names its ANSI code page in its header; striprtf reads it for \'xx escapes, and the bytes are read in it too
# (RTF is 7-bit by the book, but 8-bit bytes are met, meant in that code page).
_ANSI_CODE_PAGE = re.compile(rb"\\ansicpg(\d{1,5})")
_HEADER_BYTES = 1024


def main() -> None:
    cpu_seconds, memory_bytes = (int(argument) for argument in sys.argv[1:3])
    limit_resources(cpu_seconds=cpu_seconds, memory_bytes=memory_bytes)
    sys.stdout.buffer.write(rtf_text(sys.stdin.buffer.read()).encode("utf-8"))


def limit_resources(*, cpu_seconds: int, memory_bytes: int) -> None:
    """Past cpu_seconds of CPU the kernel stops this process (SIGXCPU, then SIGKILL a second later); past
    memory_bytes an allocation fails (MemoryError, a non-zero exit). The parent's timeout bounds the wall clock."""
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def rtf_text(compressed: bytes) -> str:
    # tnefparse's own reading (TNEF.rtfbody) adds the NUL: compressed_rtf may read one byte past a stream's end.
    rtf = decompress(compressed + b"\x00")
    return rtf_to_text(rtf.decode(_code_page(rtf), errors="replace"), errors="replace")


def _code_page(rtf: bytes) -> str:
    found = _ANSI_CODE_PAGE.search(rtf[:_HEADER_BYTES])
    if found:
        try:
            return codecs.lookup(f"cp{int(found.group(1))}").name
        except LookupError:
            pass
    return "cp1252"  # RTF's default, and striprtf's


if __name__ == "__main__":
    main()
