"""Outlook's winmail.dat (application/ms-tnef, "rich text" mail from Outlook and Exchange) opened with tnefparse:
the files inside are what the sender attached, and a winmail.dat is of no use to staff on most computers. It may
also carry the message's text, which the mail itself then lacks: its plain body, its HTML body, or only RTF.

A stream that tnefparse cannot read is kept as it came. One it reads only in part (an attribute's checksum fails:
cut short or damaged) gives what it could read and the original as well, so that no file is lost. So does one whose
message text is only RTF, which is not read here (tnef_read): the winmail.dat is then the only copy of the words.
"""

from __future__ import annotations

import logging
import mimetypes
from dataclasses import dataclass, field

from tnefparse import TNEF

from inbound.charsets import decode_text, storable

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

    The RTF body is left out: tnefparse decompresses it only with the compressed_rtf library, which the project does
    not have, and hands back the compressed bytes otherwise; and striprtf, which turns RTF into text, ran for minutes
    on a hostile 128 KB line, in regular expressions the worker's soft time limit cannot stop. A stream whose only body
    is RTF is therefore not read whole: the winmail.dat is kept beside the files taken out of it."""
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
        text_unread = tnef.has_body() and not text and not html  # only RTF
    except Exception:  # any fault of a third-party parser on untrusted bytes: the original is kept
        logger.info("kept a winmail.dat that tnefparse could not read", exc_info=True)
        return TnefContents()
    return TnefContents(files=files, whole=whole and bool(files) and not text_unread, text=text, html=html)


def _tnef_string(body: str | bytes | None, codepage: str | None) -> str:
    """tnefparse gives a body as text when the stream names its internet code page (or the body is Unicode), and
    as bytes in the stream's code page otherwise. Strings in TNEF end with a NUL, which is no text."""
    if isinstance(body, bytes):
        return decode_text(body.rstrip(b"\x00"), codepage).strip()
    return storable(body.rstrip("\x00")).strip() if isinstance(body, str) else ""
