"""Outlook's winmail.dat (application/ms-tnef, "rich text" mail from Outlook and Exchange) opened with tnefparse:
the files inside are what the sender attached, and a winmail.dat is of no use to staff on most computers.

A stream that tnefparse cannot read is kept as it came. One it reads only in part (an attribute's checksum fails:
cut short or damaged) gives what it could read and the original as well, so that no file is lost.
"""

from __future__ import annotations

import logging
import mimetypes

from tnefparse import TNEF

logger = logging.getLogger(__name__)

TNEF_CONTENT_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})


def is_tnef(content_type: str, filename: str) -> bool:
    return content_type in TNEF_CONTENT_TYPES or filename.strip().lower() == "winmail.dat"


def tnef_files(data: bytes) -> tuple[list[tuple[str, str, bytes]], bool]:
    """The (file name, content type, bytes) of the files inside, and whether the stream was read whole. Nothing
    readable inside gives ([], False)."""
    try:
        tnef = TNEF(data, do_checksum=True)
        files = []
        for attachment in tnef.attachments:
            name = attachment.long_filename()
            name = name.decode("utf-8", errors="replace") if isinstance(name, bytes) else str(name or "")
            name = name.replace("\x00", "").strip()
            content_type = (mimetypes.guess_type(name)[0] if name else None) or "application/octet-stream"
            files.append((name, content_type, bytes(attachment.data or b"")))
        whole = all(obj.good_checksum for obj in tnef.objects)
    except Exception:  # any fault of a third-party parser on untrusted bytes: the original is kept
        logger.info("kept a winmail.dat that tnefparse could not read", exc_info=True)
        return [], False
    return files, whole and bool(files)
