"""Bytes to text without mojibake where the bytes are valid: the declared charset (through the aliases mail
clients get wrong), then UTF-8, then a mix of the two, then detection by charset-normalizer, then Windows-1252 with
replacement characters as a last resort.

A body that mixes UTF-8 and Latin-1 (a reply quoting another client's mail, a signature pasted from elsewhere) is
read by ftfy: valid UTF-8 as UTF-8, the stray bytes as Windows-1252.

Text leaving here is safe to store: no NUL characters and no lone surrogates (PostgreSQL refuses both).
"""

from __future__ import annotations

import codecs
import re

import ftfy
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
# One well-formed UTF-8 sequence of two to four bytes (RFC 3629: no overlong forms, no surrogates).
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]"
    rb"|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
# Where UTF-8 read as one of these comes out as mojibake ("cafÃ©") that ftfy can undo.
_WESTERN_SINGLE_BYTE = frozenset({"cp1252", "latin_1", "iso8859_15"})
# ftfy's encoding repair alone, line by line (fix_text skips ASCII lines; fix_encoding on a whole 4 MB body took
# seconds): none of its other changes (curly quotes, HTML entities, width), which would alter what the sender wrote.
_ENCODING_ONLY = ftfy.TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=False,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    fix_surrogates=False,
    remove_control_chars=False,
    normalization=None,
    explain=False,
)
# ftfy reads text that mixes charsets on every line at about a third of a megabyte a second: past this, a body is
# read without its judgement (valid UTF-8 as UTF-8, the other 8-bit bytes as Windows-1252), or a 25 MB one would
# outlast INBOUND_PROCESS_SECONDS and the full-mail page's request. A body people wrote is far shorter.
_FTFY_MAX_BYTES = 1024 * 1024
_STRAY_BYTES_AS_CP1252 = "helpdesk-stray-bytes-as-cp1252"


def _stray_bytes_as_cp1252(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("cp1252", errors="replace"), error.end


codecs.register_error(_STRAY_BYTES_AS_CP1252, _stray_bytes_as_cp1252)


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
            text = data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            pass
        else:
            if codec in _WESTERN_SINGLE_BYTE and _UTF8_SEQUENCE.search(data):
                # UTF-8 under a Latin-1 label ("cafÃ©"): ftfy undoes that mojibake and leaves real Latin-1 as it is.
                text = _utf8_under_a_western_label(data, text)
            return storable(text)
    try:
        return storable(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    if _mixes_utf8_and_single_bytes(data):
        if len(data) > _FTFY_MAX_BYTES:
            return storable(data.decode("utf-8", errors=_STRAY_BYTES_AS_CP1252))
        return storable(ftfy.fix_text(data.decode("sloppy-windows-1252"), _ENCODING_ONLY))
    if not _MULTIBYTE_RUN.search(data):  # only isolated 8-bit bytes: Western single-byte text, never CJK
        return storable(data.decode("cp1252", errors="replace"))
    best = from_bytes(data).best()
    if best is not None:
        return storable(str(best))
    return storable(data.decode("cp1252", errors="replace"))


def _utf8_under_a_western_label(data: bytes, declared_reading: str) -> str:
    if len(data) <= _FTFY_MAX_BYTES:
        return ftfy.fix_text(declared_reading, _ENCODING_ONLY)
    if _mixes_utf8_and_single_bytes(data):
        return data.decode("utf-8", errors=_STRAY_BYTES_AS_CP1252)
    return declared_reading


def _mixes_utf8_and_single_bytes(data: bytes) -> bool:
    """Valid UTF-8 sequences, and 8-bit bytes outside them that stand alone, as Latin-1 letters do between ASCII
    ones. Legacy multibyte text (Shift_JIS, GBK, KOI8-R words) has runs of them, and is left to detection."""
    rest = _UTF8_SEQUENCE.sub(b"", data)
    return len(rest) < len(data) and not _MULTIBYTE_RUN.search(rest)


def storable(text: str) -> str:
    """With \\n line ends, and without NUL characters and lone surrogates, which databases refuse."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _UNSTORABLE.sub("\ufffd", text) if _UNSTORABLE.search(text) else text


def repair_header(text: str, hint: str | None = None) -> str:
    """Headers with raw 8-bit bytes come out of the parser as surrogate escapes: decode those bytes properly."""
    if not re.search("[\udc80-\udcff]", text):
        return storable(text)
    try:
        data = text.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:
        return storable(text)
    try:
        # UTF-8 first, whatever the body declares: it is what mailers write raw into headers today (RFC 6532), and
        # 8-bit text in another charset is almost never valid UTF-8. Then the body's charset, then the chain.
        return storable(data.decode("utf-8"))
    except UnicodeDecodeError:
        return decode_text(data, hint)
