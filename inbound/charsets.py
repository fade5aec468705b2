"""Bytes to text without mojibake where the bytes are valid: the declared charset (through the aliases mail
clients get wrong), then detection by charset-normalizer, then UTF-8 with replacement characters as a last resort.

Text leaving here is safe to store: no NUL characters and no lone surrogates (PostgreSQL refuses both).
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

# Labels mail clients use for a charset other than the one they name, or that Python spells differently.
# Latin-1 labels are read as Windows-1252, as browsers do (WHATWG Encoding): Windows clients declare ISO-8859-1 and
# send curly quotes in 0x80-0x9F. "us-ascii" on 8-bit text says nothing (it is many clients' default label), so
# such text is read as undeclared.
UNDECLARED = frozenset({"us-ascii", "ascii", "x-unknown", "unknown-8bit", "unknown", "default", "charset"})
CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "euc-jp": "euc_jis_2004",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "big5": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "iso-8859-8-i": "iso8859_8",
    "iso-8859-6-i": "iso8859_6",
    "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
}

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_MULTIBYTE_RUN = re.compile(rb"[\x80-\xff]{2}")


def codec_for(label: str | None) -> str | None:
    """The Python codec for a charset label, or None when the label names nothing we know."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in UNDECLARED:
        return None
    name = CHARSET_ALIASES.get(label, label)
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return None


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Decode mail text: the declared charset if the bytes are valid in it, else the detected one."""
    codec = codec_for(declared)
    if codec is not None:
        try:
            return storable(data.decode(codec))
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        return storable(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    if not _MULTIBYTE_RUN.search(data):  # only isolated 8-bit bytes: Western single-byte text, never CJK
        return storable(data.decode("cp1252", errors="replace"))
    best = from_bytes(data).best()
    if best is not None:
        return storable(str(best))
    return storable(data.decode("cp1252", errors="replace"))


def storable(text: str) -> str:
    """With \\n line ends, and without NUL characters and lone surrogates, which databases refuse."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _UNSTORABLE.sub("\ufffd", text) if _UNSTORABLE.search(text) else text


def repair_header(text: str, hint: str | None = None) -> str:
    """Headers with raw 8-bit bytes come out of the parser as surrogate escapes: decode those bytes properly."""
    if not re.search("[\udc80-\udcff]", text):
        return storable(text)
    try:
        return decode_text(text.encode("utf-8", errors="surrogateescape"), hint)
    except UnicodeEncodeError:
        return storable(text)
