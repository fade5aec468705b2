"""Outlook's winmail.dat (application/ms-tnef, "rich text" mail from Outlook and Exchange) opened with tnefparse:
the files inside are what the sender attached, and a winmail.dat is of no use to staff on most computers. It may
also carry the message's text, which the mail itself then lacks: its plain body, its HTML body, or only RTF.

A stream that tnefparse cannot read is kept as it came. One it reads only in part (an attribute's checksum fails:
cut short or damaged) gives what it could read and the original as well, so that no file is lost. So does one whose
message text is only RTF that could not be read (inbound.rtf): the winmail.dat is then the only copy of the words.
One read whole that gives files or text need not be kept: the stored original mail has it still.
"""

from __future__ import annotations

import logging
import mimetypes
from dataclasses import dataclass, field

from tnefparse import TNEF

from inbound.charsets import decode_text, storable
from inbound.rtf import rtf_body_text

logger = logging.getLogger(__name__)

TNEF_CONTENT_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})


@dataclass
class TnefContents:
    files: list[tuple[str, str, bytes]] = field(default_factory=list)  # (file name, content type, bytes)
    whole: bool = False  # read whole, with files and any text in it: the winmail.dat itself need not be kept
    text: str = ""  # the message's plain body
    html: str = ""  # the message's HTML body, not sanitised


def is_tnef(content_type: str, filename: str) -> bool:
    return content_type in TNEF_CONTENT_TYPES or filename.strip().lower() == "winmail.dat"


def tnef_read(data: bytes) -> TnefContents:
    """The files inside, whether the stream was read whole, and the message's body. Nothing readable inside gives
    an empty TnefContents.

    A body that is only RTF is read as text in a bounded child process (inbound.rtf): tnefparse decompresses it in
    pure Python, up to eight times its size, and striprtf, which turns RTF into text, ran for minutes on a hostile
    128 KB line, in regular expressions the worker's soft time limit cannot stop. When it gives no text the stream is
    not read whole: the winmail.dat is kept beside the files taken out of it."""
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
        text = _tnef_string(tnef.body, tnef.codepage)
        html = _tnef_string(tnef.htmlbody, tnef.codepage)
        has_body = tnef.has_body()
        # The compressed bytes, not TNEF.rtfbody, which would decompress them here in the worker.
        rtf = tnef._rtfbody if not text and not html and isinstance(tnef._rtfbody, bytes) else b""
    except Exception:  # any fault of a third-party parser on untrusted bytes: the original is kept
        logger.info("kept a winmail.dat that tnefparse could not read", exc_info=True)
        return TnefContents()
    if rtf:
        text = rtf_body_text(rtf)
    text_unread = has_body and not text and not html
    whole = whole and bool(files or text or html) and not text_unread
    return TnefContents(files=files, whole=whole, text=text, html=html)


def _tnef_string(body: str | bytes | None, codepage: str | None) -> str:
    """tnefparse gives a body as text when the stream names its internet code page (or the body is Unicode), and
    as bytes in the stream's code page otherwise. Strings in TNEF end with a NUL, which is no text."""
    if isinstance(body, bytes):
        return decode_text(body.rstrip(b"\x00"), codepage).strip()
    return storable(body.rstrip("\x00")).strip() if isinstance(body, str) else ""
