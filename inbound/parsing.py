"""A message's bytes to what the helpdesk needs of it, with the stdlib `email` package (policy.default).

Nothing here trusts the message to be well formed: every header and part is read defensively, so a malformed
MIME tree, a wrong charset or a broken encoded-word gives a best reading, never an exception.
"""

from __future__ import annotations

import functools
import mimetypes
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email import errors, policy
from email.feedparser import FeedParser
from email.header import decode_header, make_header
from email.headerregistry import ContentTypeHeader
from email.message import Message
from email.parser import BytesParser
from email.policy import Compat32, EmailPolicy, Policy
from email.utils import collapse_rfc2231_value, getaddresses, parsedate_to_datetime

from django.conf import settings

from inbound.charsets import decode_text, repair_header, storable
from inbound.html import html_to_text, sanitize_html
from inbound.tnef import TnefContents, is_tnef, tnef_read

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_ADDRESS = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")
# Address-like text in a header: an address's shape, outside quotes and comments (`<pete(his account)@silly.test>`).
_ADDRESS_LIKE = re.compile(r"[^@\s<>,;()\"]+@[^@\s<>,;()\"]+\.[^@\s<>,;()\"]+")
_STRAY_NAMED_MAX = 10
REFERENCED_IDS_MAX = 100
# email.headerregistry's parser takes time growing with the square of a header's length (50,000 addresses: 70 s of
# CPU); a From naming one person is far shorter than this.
_HEADERREGISTRY_MAX_CHARS = 4096
# Two or more empty lines in a row (blank to the eye: spaces, zero-width spaces), kept as one: some clients (Zoho)
# pad their text with hundreds.
_BLANK_LINES = re.compile(r"\n(?:[ \t\xa0\u200b\u200c\u200d\ufeff]*\n){2,}")


@dataclass
class MailAttachment:
    filename: str
    content_type: str
    data: bytes
    content_id: str = ""  # set for inline (cid:) images


@dataclass
class ParsedMail:
    message: Message
    subject: str = ""
    message_id: str = ""
    from_name: str = ""
    from_address: str = ""
    sender_problem: str = ""  # why no sender address was taken, when none was
    sender_named_by: str = ""  # the list's header that named the sender instead of From (inbound.parsing.Sender)
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    delivered_to: list[str] = field(default_factory=list)
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    date: datetime | None = None
    text: str = ""
    html: str = ""  # sanitised
    attachments: list[MailAttachment] = field(default_factory=list)
    # The mail was read up to its this-many-th MIME part, of more (PartsUnreadDefect): 0 when it was read whole.
    parts_unread_after: int = 0

    @property
    def recipients(self) -> list[str]:
        return [*self.to, *self.cc, *self.delivered_to]

    @property
    def referenced_ids(self) -> list[str]:
        """In-Reply-To first, then References newest first: the nearest parent is the best clue. Only the first
        REFERENCED_IDS_MAX: threading looks each one up in the database, and a References of 8,000 Message-IDs
        (170 KB) took 14 s; mail clients send the last few dozen of a conversation's."""
        seen: dict[str, None] = {}
        for value in [*self.in_reply_to, *reversed(self.references)]:
            seen.setdefault(value, None)
            if len(seen) == REFERENCED_IDS_MAX:
                break
        return list(seen)


def parse_message(raw: bytes) -> Message:
    """The message, read up to its first parts (_BoundedFeedParser)."""
    _mime_header_parsed.cache_clear()  # the last mail's: held for nothing, and a reading must not depend on them
    try:
        message = _parsed(raw, _DEFAULT_BOUNDED)
        unreadable = not _mime_headers_readable(message)
    except RecursionError:
        message, unreadable = None, True
    if unreadable or _lost_parts(message):
        # policy.default cuts an unquoted boundary at its first "=" (Outlook Express writes
        # `boundary=----=_NextPart_...`), so no part is found and the text is lost. compat32 reads parameters as
        # mail clients do: its reading is kept when it finds every part, or when policy.default cannot read them.
        legacy = _parsed(raw, _COMPAT32_BOUNDED)
        if unreadable or not _lost_parts(legacy):
            return legacy
    return message


# Each part costs the parser's and our look-ups of its MIME headers, and policy.default's parsing of one takes
# a few microseconds a character (more for a long one): 300 parts of three 1 KB headers of words held a worker 23 s,
# 40,000 parts of short ones 14 s, in C and stdlib code the time limit cannot stop. A mail is read up to the part
# that takes it past settings.INBOUND_MIME_PARTS_MAX parts or this many characters of MIME headers (the shared
# corpus's mails have at most 33 parts and 4 KB); the parts after it are not read, and the ticket says so. A part's
# header is parsed three times rather than about ten (_mime_header_parsed): 64 KB of the slowest headers to parse
# (8 KB of one-letter words each) read in under two seconds.
MIME_HEADERS_MAX_CHARS_IN_MAIL = 64 * 1024
# The parser recurses a level for each part nested in another (an attached message too), and 2,000 levels ran out of
# stack (RecursionError: the mail quarantined). Real mail nests a few levels; parts deeper than this are not read.
MIME_NESTING_MAX = 32
# As email.parser.Parser feeds its FeedParser: a mail read whole is read exactly as BytesParser reads it.
_FEED_CHARS = 8192


class PartsUnreadDefect(errors.MessageDefect):
    """On a mail read up to its `parts_read`th part, of more (_BoundedFeedParser)."""

    def __init__(self, parts_read: int) -> None:
        super().__init__(f"The mail was read up to its part {parts_read}; the parts after it were not read.")
        self.parts_read = parts_read


class _PartsBoundReached(Exception):
    pass


class _BoundedFeedParser(FeedParser):
    """The stdlib's parser, stopped where the next part would begin past the bounds (INBOUND_MIME_PARTS_MAX,
    MIME_HEADERS_MAX_CHARS_IN_MAIL, MIME_NESTING_MAX). The parts begun before it are whole: the parser begins a part
    once the one before it has ended."""

    def __init__(self, *, policy: Policy) -> None:
        super().__init__(policy=policy)
        self.parts_max = settings.INBOUND_MIME_PARTS_MAX
        self.parts_read = 0
        self.mime_header_chars = 0

    def _new_message(self) -> None:
        bounds_reached = (
            self.parts_read >= self.parts_max
            or self.mime_header_chars >= MIME_HEADERS_MAX_CHARS_IN_MAIL
            or len(self._msgstack) >= MIME_NESTING_MAX
        )
        if self._msgstack and bounds_reached:  # the mail itself (the first) is always read
            raise _PartsBoundReached
        super()._new_message()
        self.parts_read += 1

    def _parse_headers(self, lines: list[str]) -> None:
        super()._parse_headers(lines)
        # Every MIME header counts, a repeated one too: a bound on what the look-ups may parse.
        mime_headers = [value for key, value in self._cur.raw_items() if key.lower() in _MIME_HEADERS]
        self.mime_header_chars += sum(len(value) for value in mime_headers)

    def read_so_far(self) -> Message:
        """The mail as read up to where the parser was stopped, marked with a PartsUnreadDefect."""
        mail = self._msgstack[0]
        mail.defects.append(PartsUnreadDefect(self.parts_read))
        return mail


def _parsed(raw: bytes, policy: Policy) -> Message:
    """BytesParser(policy=policy).parsebytes(raw), read up to the bounds of _BoundedFeedParser."""
    parser = _BoundedFeedParser(policy=policy)
    text = raw.decode("ascii", errors="surrogateescape")
    try:
        for start in range(0, len(text), _FEED_CHARS):
            parser.feed(text[start : start + _FEED_CHARS])
        return parser.close()
    except _PartsBoundReached:
        return parser.read_so_far()


# The headers policy.default parses as structured ones to find a part's type, name and encoding.
_MIME_HEADERS = frozenset({"content-type", "content-disposition", "content-transfer-encoding"})
# Real mail nests a comment a level or two. policy.default's parser takes a few stack frames a level and raises
# RecursionError where the stack runs out, which depends on how deep the reader already stands (the worker, a staff
# page): a nesting deeper than this is read with compat32 wherever it is read, never just short of that point.
_COMMENT_NESTING_MAX = 32


# Real mail's MIME headers carry a handful of parameters (type, charset, boundary, name, filename: the shared corpus's
# have at most four, in 278 characters). policy.default parses a structured header again at every look-up (the
# parser looks up each part's type and boundary, we its charset and file name), in time growing faster than its
# length: 16,000 parameters (250 KB) held a worker 14 s, 64,000 (1 MB) for minutes, in C and stdlib code the time
# limit cannot stop; a value of many words or comments grows with the square of its length, parameters or none
# (400 KB: 14 s), and so does compat32's reading of a ";" inside quotes (16 KB: 0.3 s). A MIME header is read up to
# its this-many-th parameter and this many characters; a file name of thousands of RFC 2231 segments is read from
# its first ones. The mail as stored keeps the header whole.
MIME_HEADER_MAX_PARAMETERS = 64
MIME_HEADER_MAX_CHARS = 8 * 1024


def _mime_header_bounded(value: str) -> str:
    """The value cut before its (MIME_HEADER_MAX_PARAMETERS + 1)th ";" and after MIME_HEADER_MAX_CHARS characters.
    Every ";" counts, a quoted one too: compat32 looks for a parameter's end at each one."""
    if len(value) <= MIME_HEADER_MAX_CHARS and value.count(";") <= MIME_HEADER_MAX_PARAMETERS:
        return value
    head = value[:MIME_HEADER_MAX_CHARS]
    return ";".join(head.split(";", MIME_HEADER_MAX_PARAMETERS + 1)[: MIME_HEADER_MAX_PARAMETERS + 1])


class _MimeHeadersBounded:
    """A parser policy that bounds each part's MIME headers (_mime_header_bounded) as it reads them from the mail,
    before any look-up parses one: the parser looks up a part's type while it reads the part."""

    def header_source_parse(self, sourcelines: list[str]) -> tuple[str, str]:
        name, value = super().header_source_parse(sourcelines)  # type: ignore[misc]
        return name, _mime_header_bounded(value) if name.lower() in _MIME_HEADERS else value


class _DefaultBounded(_MimeHeadersBounded, EmailPolicy):
    def header_fetch_parse(self, name: str, value: str) -> object:
        if type(value) is str and name.lower() in _MIME_HEADERS:
            return _mime_header_parsed(self, name, value)
        return super().header_fetch_parse(name, value)


@functools.lru_cache(maxsize=4)
def _mime_header_parsed(parsing_policy: EmailPolicy, name: str, value: str) -> object:
    """A MIME header as policy.default reads it, parsed once for the look-ups that follow each other: the parser's
    and ours look up a part's type about ten times. A few are kept: a parsed header holds a thousand times its
    length (8 MB for one of 8 KB)."""
    return EmailPolicy.header_fetch_parse(parsing_policy, name, value)


class _Compat32Bounded(_MimeHeadersBounded, Compat32):
    pass


_DEFAULT_BOUNDED = _DefaultBounded()
_COMPAT32_BOUNDED = _Compat32Bounded()


def _mime_headers_readable(message: Message) -> bool:
    """Whether policy.default can read every part's MIME headers from any reader's stack: none nests comments
    deeper than _COMMENT_NESTING_MAX. compat32 reads them as plain text."""
    return not any(
        _comments_nest_too_deep(value)
        for part in message.walk()
        for key, value in part.raw_items()
        if key.lower() in _MIME_HEADERS
    )


def _comments_nest_too_deep(value: str) -> bool:
    """Whether the header's parentheses nest deeper than _COMMENT_NESTING_MAX. A quoted or escaped one counts too:
    compat32 reads such a header as well."""
    depth = 0
    for character in value if "(" in value else "":
        if character == "(":
            depth += 1
            if depth > _COMMENT_NESTING_MAX:
                return True
        elif character == ")":
            depth = max(depth - 1, 0)
    return False


def _lost_parts(message: Message) -> bool:
    return any(
        isinstance(defect, errors.StartBoundaryNotFoundDefect) for part in message.walk() for defect in part.defects
    )


# The first empty line, where the header section ends: lines end in CRLF, CR or LF, as the `email` parser reads them.
_HEADER_SECTION_END = re.compile(rb"(?:\r\n|\r(?!\n)|\n)(?:\r\n|\r(?!\n)|\n)")


def parse_headers(raw: bytes) -> Message:
    """The message's headers, parsed from its header section alone: given the whole message, even `headersonly`,
    the parser decodes all of it and splits it into lines, and storing a mail with a 27 MB attachment cost 200 MB."""
    end = _HEADER_SECTION_END.search(raw)
    section = raw[: end.end()] if end else raw
    try:
        return BytesParser(policy=_DEFAULT_BOUNDED).parsebytes(section, headersonly=True)
    except RecursionError:  # a Content-Type of deeply nested comments (parse_message): the door must store the mail
        return BytesParser(policy=_COMPAT32_BOUNDED).parsebytes(section, headersonly=True)


def header_text(message: Message, name: str) -> str:
    """A header's value as text: encoded-words decoded, raw 8-bit bytes read through the charset chain."""
    values = header_values(message, name)
    return values[0] if values else ""


def header_values(message: Message, name: str) -> list[str]:
    wanted = name.lower()
    return [_decode_header_value(value) for key, value in message.raw_items() if key.lower() == wanted]


def _unfolded(value: object) -> str:
    return re.sub(r"\r?\n[ \t]*", " ", str(value))


# email.header.decode_header takes time growing with the square of the number of encoded-words in a value (a
# Subject of 40,000 of them, 860 KB: 1.8 s; 25 MB would run for hours). Of a value holding encoded-words, only the
# first this many characters are decoded: a subject is stored at 200 and a file name is far shorter. A value without
# one (References listing thousands of Message-IDs) is read whole: it costs no more than its length.
_ENCODED_HEADER_MAX_CHARS = 16 * 1024


def _encoded_words_bounded(value: str) -> str:
    """The value, cut to _ENCODED_HEADER_MAX_CHARS at a space (an encoded-word holds none) when it holds "=?"."""
    if len(value) <= _ENCODED_HEADER_MAX_CHARS or "=?" not in value:
        return value
    head = value[:_ENCODED_HEADER_MAX_CHARS]
    return head[: head.rfind(" ")] if " " in head else head


def _decode_header_value(value: str, hint: str | None = None) -> str:
    value = _encoded_words_bounded(_unfolded(value).strip())
    try:
        parts = [
            (decode_text(part, charset), "utf-8") if isinstance(part, bytes) and charset else (part, charset)
            for part, charset in decode_header(value)
        ]
        decoded = str(make_header(parts))
    except (LookupError, UnicodeError, ValueError, AssertionError):
        decoded = value
    return repair_header(decoded, hint)


def addresses(message: Message, name: str) -> list[tuple[str, str]]:
    """(display name, lower-cased address) pairs of an address header; malformed entries are left out."""
    found = []
    wanted = name.lower()
    # Split into addresses before decoding encoded-words: a decoded display name must not become an address.
    raw = [_unfolded(value) for key, value in message.raw_items() if key.lower() == wanted]
    for value in raw:
        for display, address in _addresses_in(value):
            address = _address_read(address)
            if address:
                found.append((_decode_header_value(display).strip(), address))
    return found


def _addresses_in(value: str) -> list[tuple[str, str]]:
    """The (display name, address) pairs of one header value as email.utils reads it; none when it cannot: it
    recurses into comments, and a deep nesting raises RecursionError, which must not fail the mail (a To or Cc no
    one can read names no recipient or follower). One value at a time, so the header's other values still count."""
    try:
        return getaddresses([value])
    except RecursionError:
        return []


def _address_read(address: str) -> str:
    """A parsed address as we store and match it (lower-cased), or "" when it is no address an account could have."""
    address = repair_header(address).strip().strip("<>").lower()
    return address if _ADDRESS.fullmatch(address) and len(address) <= 320 else ""


@dataclass(frozen=True)
class Sender:
    name: str = ""
    address: str = ""
    problem: str = ""  # why no address was taken, for the reason a quarantined mail shows
    # The header other than From and Sender that named the author of list mail (X-Original-From, Reply-To): its
    # sender writes it and nothing checks it, as DMARC checks From, so it may open a ticket but answers none.
    named_by: str = ""


def sender_of(message: Message) -> Sender:
    """Whose mail it is: the one address From names, or the one Sender names when From names none or several
    (RFC 5322 3.6.2: a From of several authors comes with the one who sent it). Mail a list sent on behalf of its
    author is the author's (`_list_author`)."""
    found, stray, raw = _named_addresses(message, "From")
    author = _list_author(message, found)
    if author is not None:
        return author
    if len(found) == 1 and not stray:
        return Sender(*found[0])
    sent_by, sent_by_stray, _ = _named_addresses(message, "Sender")
    if len(sent_by) == 1 and not sent_by_stray:
        return Sender(*sent_by[0])
    if len(found) + len(stray) > 1:
        named = ", ".join([*(address for _, address in found), *stray])
        return Sender(problem=f"The From header names several addresses ({named}) and no single Sender.")
    return Sender(problem=f"The From header names no address we can read: {raw or '(none)'}")


def _named_addresses(message: Message, name: str) -> tuple[list[tuple[str, str]], list[str], str]:
    """The (display name, lower-cased address) pairs an address header names, as either of the stdlib's readings
    finds them (email.utils, as mail clients read it; email.headerregistry, which recovers more of a malformed one:
    a missing `>`, an unclosed comment), one per address; the address-like text neither reading accounts for (a
    second address they dropped), which makes the header ambiguous; and the header as written."""
    wanted = name.lower()
    raw = [_unfolded(value) for key, value in message.raw_items() if key.lower() == wanted]
    # Both readings recurse into comments and quoted parts: a deep nesting raises RecursionError, which must not
    # stop the door that received the mail (inbound_store reads the sender too). A reading that fails leaves the other.
    try:
        pairs = list(getaddresses(raw))
    except RecursionError:
        pairs = []
    for value in raw:
        if len(value) > _HEADERREGISTRY_MAX_CHARS:
            continue  # address-like text it would have found counts as stray below: ambiguous, never a wrong sender
        try:
            pairs.extend(
                (found.display_name, found.addr_spec) for found in policy.default.header_factory(name, value).addresses
            )
        except (
            ValueError,
            IndexError,
            TypeError,
            AttributeError,
            LookupError,
            RecursionError,
            errors.HeaderParseError,
        ):
            continue
    found: dict[str, str] = {}
    display_names = []
    for display, address in pairs:
        display_names.append(repair_header(display).lower())
        address = _address_read(address)
        if address:
            found.setdefault(address, _decode_header_value(display).strip())
    text = repair_header(" ".join(raw)).strip()
    stray: list[str] = []
    # Two addresses or more already make the header ambiguous; the stray ones only lengthen the reason then.
    displays = "\n".join(display_names) if len(found) < 2 else ""
    for token in _ADDRESS_LIKE.findall(text) if len(found) < 2 else ():
        token = token.strip("'[]").lower()
        if token not in found and token not in stray and token not in displays:
            stray.append(token)
            if len(stray) == _STRAY_NAMED_MAX:
                break
    return [(display, address) for address, display in found.items()], stray, text[:200]


def _list_author(message: Message, from_found: list[tuple[str, str]]) -> Sender | None:
    """The author of mail a mailing list sent on their behalf (Google Groups: From "'Jane' via Support
    <support@googlegroups.com>"), as the list names them: X-Original-From, else Reply-To when From is the list's
    own address (lists and their members also set Reply-To to the list, or to someone else). None: From's.
    `from_found`: the addresses From names, as _named_addresses reads them."""
    if not (header_values(message, "List-Id") or header_values(message, "X-Google-Group-Id")):
        return None
    lists_own = _list_addresses(message, from_found)
    if header_values(message, "X-Original-From"):
        named_by = "X-Original-From"
    elif len(from_found) == 1 and from_found[0][1] in lists_own:
        named_by = "Reply-To"
    else:
        return None
    candidates, stray, _ = _named_addresses(message, named_by)
    if len(candidates) != 1 or stray or candidates[0][1] in lists_own:
        return None
    return Sender(*candidates[0], named_by=named_by)


_MAILTO = re.compile(r"<mailto:([^>?\s]+)", re.IGNORECASE)
_LIST_ID = re.compile(r"<([^<>\s]+)>")


def _list_addresses(message: Message, from_found: list[tuple[str, str]]) -> set[str]:
    """The list's own addresses: those List-Post names (RFC 2369), and the one its List-Id reads as (RFC 2919:
    `<support.googlegroups.com>` for support@googlegroups.com), for the list's From written without List-Post."""
    found = {address.lower() for value in header_values(message, "List-Post") for address in _MAILTO.findall(value)}
    list_ids = {list_id.lower() for value in header_values(message, "List-Id") for list_id in _LIST_ID.findall(value)}
    found.update(address for _, address in from_found if address.replace("@", ".", 1) in list_ids)
    return found


def message_ids(message: Message, name: str) -> list[str]:
    """The Message-IDs a header names, lower-cased: the form we store and match them in."""
    return [message_id.lower() for message_id in message_ids_as_sent(message, name)]


def message_ids_as_sent(message: Message, name: str) -> list[str]:
    """The Message-IDs a header names, in their own case: the form a mail client matches our In-Reply-To against."""
    ids = []
    for value in header_values(message, name):
        ids.extend(_MESSAGE_ID.findall(value))
    return ids


def read_mail(raw: bytes) -> ParsedMail:
    message = parse_message(raw)
    sender = sender_of(message)
    own_ids = message_ids(message, "Message-ID")
    mail = ParsedMail(
        message=message,
        subject=" ".join(_subject(message).split()),
        message_id=own_ids[0] if own_ids else "",
        from_name=sender.name,
        from_address=sender.address,
        sender_problem=sender.problem,
        sender_named_by=sender.named_by,
        to=[address for _, address in addresses(message, "To")],
        cc=[address for _, address in addresses(message, "Cc")],
        delivered_to=[
            address
            for header in ("Delivered-To", "X-Original-To", "Envelope-To")
            for _, address in addresses(message, header)
        ],
        in_reply_to=message_ids(message, "In-Reply-To"),
        references=message_ids(message, "References"),
        date=_date(header_text(message, "Date")),
        parts_unread_after=next(
            (defect.parts_read for defect in message.defects if isinstance(defect, PartsUnreadDefect)), 0
        ),
    )
    _read_parts(message, mail)
    return mail


def _subject(message: Message) -> str:
    """Raw 8-bit bytes in the Subject are read in the charset the message declares for its text, if valid in it."""
    raw = next((str(value) for key, value in message.raw_items() if key.lower() == "subject"), "")
    hint = next((charset for charset in message.get_charsets() if charset), None)
    return _decode_header_value(raw, hint) if raw else ""


def _date(value: str) -> datetime | None:
    try:
        return parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, IndexError):
        return None


def _read_parts(message: Message, mail: ParsedMail) -> None:
    texts: list[str] = []
    htmls: list[str] = []
    winmails: list[TnefContents] = []
    for part in _leaves(message):
        content_type = content_type_of(part)
        filename = _filename(part)
        disposition = _disposition(part)
        is_body = disposition != "attachment" and not filename
        if is_body and content_type == "text/plain":
            texts.append(part_text(part))
        elif is_body and content_type == "text/html":
            htmls.append(part_text(part))
        elif is_tnef(content_type, filename):
            winmails.append(_add_tnef_files(mail, _attachment(part, content_type, filename, len(mail.attachments) + 1)))
        else:
            mail.attachments.append(_attachment(part, content_type, filename, len(mail.attachments) + 1))
    mail.html = sanitize_html("\n".join(htmls))
    mail.text = _body_text(texts, mail.html)
    if not mail.text:
        # Outlook's "rich text" mail may carry its words only in the winmail.dat; the mail's own text wins, as the
        # winmail.dat holds the same message when both have it.
        tnef_html = sanitize_html("\n".join(winmail.html for winmail in winmails if winmail.html))
        mail.text = _body_text([winmail.text for winmail in winmails], tnef_html)
        mail.html = mail.html or tnef_html
    mail.text = _BLANK_LINES.sub("\n\n", mail.text)


def _body_text(texts: list[str], sanitized_html: str) -> str:
    """The plain text parts, or the (sanitised) HTML as text when they are empty."""
    text = storable("\n\n".join(text.strip() for text in texts if text.strip()))
    return html_to_text(sanitized_html) if not text and sanitized_html else text


def _add_tnef_files(mail: ParsedMail, winmail: MailAttachment) -> TnefContents:
    """The files inside a winmail.dat as the mail's attachments; the winmail.dat itself only when they are not all
    there (see inbound.tnef). The attachment limits apply to each file, as to any attachment. Returns what was read,
    for its body."""
    contents = tnef_read(winmail.data)
    for name, content_type, data in contents.files:
        number = len(mail.attachments) + 1
        filename = name or f"attachment-{number}{mimetypes.guess_extension(content_type) or '.bin'}"
        mail.attachments.append(MailAttachment(filename=filename, content_type=content_type, data=data))
    if not contents.whole:
        mail.attachments.append(winmail)
    return contents


def _leaves(message: Message) -> Iterator[Message]:
    """The parts that carry content, in order. An attached message (message/rfc822) is one part: the mail's
    attachment, not more of its body. One at a time, so that each is read while its parsed headers are at hand
    (_mime_header_parsed)."""
    pending = [message]
    while pending:
        part = pending.pop()
        if part.get_content_maintype() == "multipart" and isinstance(part.get_payload(), list):
            pending.extend(reversed([child for child in part.get_payload() if isinstance(child, Message)]))
        else:
            yield part


def content_type_of(part: Message) -> str:
    """The part's type as RFC 2045 reads its Content-Type: comments left out, text/plain when it cannot be read.
    Message.get_content_type takes all before a ";" as the type, comments and all: `text/plain (comment)` was no
    text, and the mail lost its body. The header registry's reading leaves comments out and, for a type it cannot
    read, registers a defect and gives text/plain. A compat32 reading (parse_message) is read the same way unless
    its comments nest too deep for that parser from any stack: then it cannot be read."""
    header = part.get("content-type")
    if header is None:
        return part.get_content_type()  # no header: text/plain, or message/rfc822 in a multipart/digest
    try:
        if isinstance(header, ContentTypeHeader):
            return header.content_type
        value = _unfolded(header)
        if _comments_nest_too_deep(value):
            return "text/plain"
        return policy.default.header_factory("content-type", value).content_type
    except (ValueError, IndexError, AttributeError):
        return "application/octet-stream"


def _disposition(part: Message) -> str | None:
    try:
        return part.get_content_disposition()
    except (ValueError, IndexError, AttributeError):
        return None


# Where a part names its file, best first. The last is Outlook's: an inline image named only by `filename` in
# Content-Type.
_FILENAME_PARAMS = (("filename", "content-disposition"), ("name", "content-type"), ("filename", "content-type"))


def _filename(part: Message) -> str:
    """The file name as mail clients read it (compat32): policy.default keeps only "This" of an unquoted
    `filename=This is a test.txt`, and nothing of an unquoted encoded-word (`name==?utf-8?B?...?=`)."""
    legacy = Message(policy=policy.compat32)
    for key, value in part.raw_items():
        if key.lower() in ("content-type", "content-disposition"):
            legacy[key] = repair_header(_unfolded(value))  # raw 8-bit bytes, which compat32 would turn into "?"
    for param, header in _FILENAME_PARAMS:
        try:
            name = legacy.get_param(param, header=header)
            name = collapse_rfc2231_value(name) if name else ""
        except (ValueError, IndexError, AttributeError, LookupError, UnicodeError, TypeError):
            name = ""
        if name.strip():
            return _decoded_file_name(name)
    return ""


def _decoded_file_name(value: str) -> str:
    """A name's encoded words joined as written: make_header (`_decode_header_value`) puts a space between words in
    different charsets and before plain text that follows one ("=?utf-8?Q?caf=C3=A9?=.pdf": "café .pdf")."""
    value = _encoded_words_bounded(_unfolded(value).strip())
    try:
        # decode_header drops the whitespace between encoded words, and gives the plain text raw-unicode-escaped.
        pieces = []
        for part, charset in decode_header(value):
            if isinstance(part, str):
                pieces.append(part)
            else:
                pieces.append(decode_text(part, charset) if charset else part.decode("raw-unicode-escape"))
        decoded = "".join(pieces)
    except (LookupError, UnicodeError, ValueError, AssertionError):
        decoded = value
    return repair_header(decoded)


def part_bytes(part: Message) -> bytes:
    if part.get_content_type() == "message/rfc822" or part.is_multipart():
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else payload
        if isinstance(inner, Message):
            try:
                return inner.as_bytes(policy=policy.compat32)
            except (ValueError, LookupError, UnicodeError, TypeError, AttributeError):
                return str(inner).encode("utf-8", errors="replace")
    try:
        data = part.get_payload(decode=True)
    except (ValueError, LookupError, UnicodeError, AssertionError, TypeError):
        data = None
    if data is None:
        payload = part.get_payload()
        data = payload.encode("utf-8", errors="surrogateescape") if isinstance(payload, str) else b""
    return data


def part_text(part: Message) -> str:
    try:
        declared = part.get_content_charset()
    except (ValueError, LookupError, AttributeError):
        declared = None
    return decode_text(part_bytes(part), declared)


def _attachment(part: Message, content_type: str, filename: str, number: int) -> MailAttachment:
    content_id = header_text(part, "Content-ID").strip().strip("<>")
    if not filename:
        extension = ".eml" if content_type == "message/rfc822" else mimetypes.guess_extension(content_type) or ".bin"
        filename = f"attachment-{number}{extension}"
    return MailAttachment(filename=filename, content_type=content_type, data=part_bytes(part), content_id=content_id)
