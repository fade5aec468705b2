"""The visible part of a reply: what the person wrote, without the quoted history and their signature.

mail-parser-reply splits the text at the reply headers of common clients in many languages ("On … wrote:",
"Am … schrieb:", Outlook's "From:/Sent:" block, "-----Original Message-----") and finds the signature. Around it:
a mailing list's footer is removed first; an answer written below or between "> " quoted lines (bottom-posted or
inline, after a blank line or right under a quoted line that ends a sentence) is shown with the quote header and
the quoted lines it answers, up to its last paragraph; otherwise the text is cut at the first quote header the
library or the rules below find, and a trailing "Sent from <app>" line naming an app is dropped. The full text is
always kept (the original message is one click away), so a wrong cut hides text, it never loses it.
"""

from __future__ import annotations

import re
import secrets

from mailparser_reply import EmailMessage, EmailReply
from mailparser_reply.constants import MAIL_LANGUAGES

from tickets.models import BODY_MAX_CHARS

# Every language the library knows (its English rules are always added).
_LANGUAGES = [language for language in MAIL_LANGUAGES if len(language) == 2]


# What the library misses, in any language: a quote header in a language it has no rules for, or broken over
# lines ("W dniu 2017-01-09 11:59 użytkownik X <x@example.com> napisał:"): up to three lines ending with a colon
# that name an address and a time; and a separator line ("-----Original Message-----", "---- Oprindelig besked
# ----", Outlook's underscores) followed by a "From:" block, or naming an address itself.
_HEADER_LINES = 3
_ADDRESS_AND_TIME = re.compile(r"(?=.*@)(?=.*\b\d{1,2}[:.]\d{2}\b)(?=.*(?:\b\d{4}\b|<[^<>@\s]+@[^<>\s]+>))")
# The runs of "-" are taken whole (possessive "+"), the text between them ends in another character: the same lines
# as "-{2,}[^\n]{1,60}?-{2,}", which took time in the square of a run (a line of 1,000 "-" and an "x": 0.5 s).
_SEPARATOR = re.compile(r"^[ \t]*(?:_{8,}+|-{5,}+|-{2,}+[^\n]{1,60}?(?<!-)-{2,}+)[ \t]*$")
_FIELD = re.compile(r"^[ \t]*\*?[^\W\d_][\w ]{1,20}\*?[ \t]?:\*?(?:[ \t]|\S)")
_FIELD_BLOCK = 3  # "From:", "Sent:", "To:"... with an address among them
# A header may also end in its verb without the colon ("On … John <john@doe.com> wrote"), and a line of one
# repeated mark ("====") just above a header belongs to it.
_WROTE = re.compile(r"\b(?:wrote|a écrit|escribió|ha scritto|napisał)$", re.IGNORECASE)
_RULE = re.compile(r"^[ \t]*([-=_*~#])\1{2,}[ \t]*$")
# Mailman's footer, at the end of the text: a line of underscores, "<name> mailing list" (Mailman 3 adds " -- " and
# its address), then lines naming its addresses and URL.
_LIST_FOOTER = re.compile(
    r"\n[ \t]*_{2,}[ \t]*\n[^\n]*\bmailing list(?:[ \t]+--[ \t]+[^\s@]+@[^\s@]+)?[ \t]*"
    r"(?:\n(?=[^\n]*(?:@|://))[^\n]*){1,3}\s*\Z"  # lookahead, then the line: linear on a line full of "@"
)

# The library's signature pattern takes time in the square of a run of white space (20,000 spaces in a line: 7 s;
# 16,000 lines of spaces: 33 s; beyond the worker's time limits soon after). Such a run is layout, never words: a
# long one in a line is read as one space, and lines of white space as one blank line.
_SPACE_RUN = re.compile(r"[^\S\n]{64,}")
_BLANK_LINE_RUN = re.compile(r"\n(?:[^\S\n]*\n){2,}")

# The reply is cut to BODY_MAX_CHARS when stored (inbound.services.tickets._within_body_limit), with a note saying
# so. Only the text's start is read: up to the limit and a margin, so a quote header or paragraph across the limit is
# read whole and a text longer than the limit still gives a reply longer than it (and the note). A 25 MB text of
# short lines took 33 s to read whole.
_READ_MAX = BODY_MAX_CHARS + 8_192
# The library's quote header pattern takes time in (header-like pieces of a line) x (its length): a line of 23 KB
# repeating "On … <sam@example.com> wrote:" took 7 s, one of 290 KB many minutes. A quote header is a few hundred
# characters at most, so the library is handed each longer line cut to its first _LIBRARY_LINE_MAX characters and a
# word-like mark, and the mark in its reply is then replaced by the rest of the line. A line's leading run of "_" and
# "-" (a separator) is handed whole: the library reads it fast, and deletes it whole after a blank line.
_LIBRARY_LINE_MAX = 200
_SEPARATOR_RUN = re.compile(r"[_-]*")

# A phone or webmail app's line ending the reply: "Sent from TypeApp<http://…>", "Envoyé à partir de Outlook pour
# iOS", "Gesendet von meinem iPad": a short name without sentence punctuation inside (so "Sent from our warehouse on
# Monday, …" stays) that is an app's, by its link, a possessive ("my iPhone", "mon iPhone") or an app or device word
# first. "Sent from home" and "Sent from the office" are the person's words and stay. The spaces before the link go
# with the link, never also with the end of the line: linear on a line with a long run of spaces.
_SENT_FROM = re.compile(
    r"^[ \t]*(?:sent (?:from|with)|envoyé (?:depuis|de|à partir de|avec)|gesendet (?:von|mit)"
    r"|enviado (?:desde|con|do|de)|inviato da|verzonden (?:vanaf|met))[ \t]+"
    r"(?P<name>[^\s.,;!?<>]+(?:[ \t]+[^\s.,;!?<>]+){0,4})(?:[ \t]*(?P<link><[^<>\s]+>))?\.?[ \t]*$",
    re.IGNORECASE,
)
_APP_NAME_FIRST_WORD = re.compile(
    r"my|mon|ma|meinem|meiner|mi|meu|mio|mijn"  # a possessive: "my Galaxy", "mon iPhone", "meinem iPad"
    r"|iphone|ipad|android|outlook|gmail|yahoo|samsung|galaxy|blackberry|typeapp|mail|windows|proton|protonmail"
    r"|spark|aol|icloud|bluemail|airmail|tutanota",
    re.IGNORECASE,
)
# Text below a quote that is no answer: a signature after its delimiter ends the search; a paragraph of legal or
# list boilerplate is no answer; an answer has a sentence (three words or more, a line ending in . ? or !).
_SIGNATURE_DELIMITER = re.compile(r"^[ \t]*--[ \t]*$")
_BOILERPLATE = re.compile(r"\b(?:confidential|intended (?:solely |only )?for|disclaimer|privileged|unsubscribe)", re.I)
_ANSWER_WORDS = 3
_SENTENCE_END = re.compile("[.?!][\"'\u201d\u2019\u00bb)]*\\s*$")


def _quote_start(lines: list[str]) -> int | None:
    """The index of the first line of quoted history, or None."""
    for end, line in enumerate(lines):
        stripped = line.strip()
        if _SEPARATOR.match(line):
            following = [text for text in lines[end + 1 : end + 4] if text.strip()]
            if "@" in stripped or (following and _FIELD.match(following[0])):
                return end
        if _FIELD.match(line) and _is_field_block(lines[end : end + _FIELD_BLOCK + 2]):
            return end
        if (stripped.endswith(":") or _WROTE.search(stripped)) and len(stripped) <= 300:
            for start in range(end, max(end - _HEADER_LINES, -1), -1):
                if not lines[start].strip():
                    break
                if _ADDRESS_AND_TIME.match(" ".join(lines[start : end + 1])):
                    return start
    return None


def _is_field_block(lines: list[str]) -> bool:
    """Header fields of a quoted mail: at least three "Label: value" lines (one value may wrap onto the next
    line), one of them with an address."""
    fields = sum(1 for line in lines if _FIELD.match(line))
    return (
        fields >= _FIELD_BLOCK
        and bool(_ADDRESS_AND_TIME.match(" ".join(lines)))  # From: ... Sent/Date: ... a quoted mail's header
        and all(line.strip() for line in lines[:_FIELD_BLOCK])
    )


def _cut_at_quote_header(text: str) -> str:
    lines = text.split("\n")
    start = _quote_start(lines)
    above = [index for index in range(start or 0) if lines[index].strip()]
    if above and _RULE.match(lines[above[-1]]):
        start = above[-1]
    return "\n".join(lines[:start]) if start else text


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _has_quote_header(text: str) -> bool:
    """Whether our rules or the library find a quote header anywhere in `text`, its first line included."""
    if _quote_start(text.split("\n")) is not None:
        return True
    try:
        return any(reply.headers for reply in _library_read(text).replies)
    except (RecursionError, ValueError, IndexError):
        return False


def _library_read(text: str, *, keep_hyphen_lists: bool = False) -> EmailMessage:
    """The library's reading of `text`, each line longer than _LIBRARY_LINE_MAX shortened (_long_lines_shortened);
    the replies it finds have the lines' rests back."""
    mark = f"Z{secrets.token_hex(8)}N"  # word characters, as the line's rest mostly is; in no mail's text
    shortened, rests = _long_lines_shortened(text, mark=mark)
    message = EmailMessage(text=shortened, languages=list(_LANGUAGES), keep_hyphen_lists=keep_hyphen_lists).read()
    if rests:
        marked_rest = re.compile(rf"{mark}(\d+)Z")

        def with_rests(part: str) -> str:
            return marked_rest.sub(lambda found: rests[int(found[1])], part)

        for reply in message.replies:
            reply.content, reply.headers = with_rests(reply.content), with_rests(reply.headers)
            reply.signatures = with_rests(reply.signatures)
            reply.disclaimers = [with_rests(disclaimer) for disclaimer in reply.disclaimers]
    return message


def _long_lines_shortened(text: str, *, mark: str) -> tuple[str, list[str]]:
    """`text` with each line longer than _LIBRARY_LINE_MAX cut to its first _LIBRARY_LINE_MAX characters (or its
    leading run of "_" and "-", when longer) followed by `mark`, the rest's number and "Z"; and those rests, in order.
    Lines are stripped, as the library does."""
    lines = [line.strip() for line in text.split("\n")]
    rests: list[str] = []
    for index, line in enumerate(lines):
        cut = max(_LIBRARY_LINE_MAX, _SEPARATOR_RUN.match(line).end())
        if len(line) > cut:
            lines[index] = f"{line[:cut]}{mark}{len(rests)}Z"
            rests.append(line[cut:])
    return "\n".join(lines), rests


def _continues_quoted_line(quoted_line: str, line: str) -> bool:
    """Whether `line`, unquoted and straight under `quoted_line`, is the end of that quoted line wrapped by the
    sender's client: the quoted line stops mid-sentence ("> Can we meet on Tuesday or"), or `line` goes on in lower
    case ("> … a quis orci." over "rhoncus tortor in."). An answer written right under a quoted line, as Thunderbird
    and mutt users do, follows a whole sentence or an empty quoted line (">") and starts like a sentence."""
    quoted = quoted_line.strip().lstrip("> \t")  # its text, without the marks of any quoting depth
    return bool(quoted) and (not _SENTENCE_END.search(quoted) or line.lstrip()[:1].islower())


def _paragraphs(lines: list[str]) -> list[tuple[int, list[str]]]:
    """The unquoted paragraphs of `lines`, each with the index of its first line. Unquoted lines that continue the
    quoted line above them (_continues_quoted_line) are that quoted line wrapped, not a paragraph of their own."""
    paragraphs: list[tuple[int, list[str]]] = []
    current: list[str] | None = None
    wrapped = False
    quoted_above: str | None = None  # the quoted line just above an unquoted line
    for index, line in enumerate(lines):
        if not line.strip() or _is_quoted(line):
            current, wrapped, quoted_above = None, False, line if _is_quoted(line) else None
        elif current is not None:
            current.append(line)
        elif wrapped or (quoted_above is not None and _continues_quoted_line(quoted_above, line)):
            wrapped = True
        else:
            current = [line]
            paragraphs.append((index, current))
    return paragraphs


def _is_answer(paragraph: list[str]) -> bool:
    text = " ".join(paragraph)
    return (
        len(text.split()) >= _ANSWER_WORDS
        and any(_SENTENCE_END.search(line) for line in paragraph)
        and not _BOILERPLATE.search(text)
    )


def _answered_quote(lines: list[str]) -> str | None:
    """The person's answer below or between the "> " quoted lines of the message they reply to, with the lines it
    answers; None when there is no such answer. The first quoted lines' own header is in the three lines above
    them: a quote header further up means they are deeper history, below the newest reply, and no answer is looked
    for. The answer ends at a signature delimiter or at the next unquoted quote header, and the quoted lines after
    its last unquoted paragraph are left out."""
    first = next((index for index, line in enumerate(lines) if _is_quoted(line)), None)
    if first is None:
        return None
    above = "\n".join(lines[:first]).rstrip().split("\n")
    if _has_quote_header("\n".join(above[:-_HEADER_LINES])):
        return None
    below = lines[first:]
    below = below[: next((i for i, line in enumerate(below) if _SIGNATURE_DELIMITER.match(line)), len(below))]
    answered, answer_end = False, first
    for start, paragraph in _paragraphs(below):
        if _has_quote_header("\n".join(paragraph)):
            break
        answered, answer_end = answered or _is_answer(paragraph), first + start + len(paragraph)
    return "\n".join(lines[:answer_end]).strip() if answered else None


def _is_sent_from_app_line(line: str) -> bool:
    """Whether `line` is an app's "Sent from <app>" line (_SENT_FROM)."""
    match = _SENT_FROM.match(line)
    if not match:
        return False
    return bool(match["link"] or _APP_NAME_FIRST_WORD.fullmatch(match["name"].split()[0]))


def _reply_body(reply: EmailReply) -> str:
    """The reply without its quote header, disclaimers and signature. The library reads a last line starting
    "Envoyé depuis", "Gesendet von", "Inviato da"... as a signature whatever it names: one naming no app ("Envoyé
    depuis Lyon") is the person's words, and stays."""
    body, signature = reply.body.strip(), reply.signatures.strip()
    if _SENT_FROM.match(signature) and not _is_sent_from_app_line(signature):
        separator = "\n\n" if f"\n\n{signature}" in reply.full_body else "\n"
        return f"{body}{separator}{signature}"
    return body


def _without_sent_from_line(text: str) -> str:
    lines = text.rstrip().split("\n")
    return "\n".join(lines[:-1]).rstrip() if _is_sent_from_app_line(lines[-1]) else text


def _white_space_runs_shortened(text: str) -> str:
    return _BLANK_LINE_RUN.sub("\n\n", _SPACE_RUN.sub(" ", text))


def visible_reply(text: str) -> str:
    """The newest reply in `text`; the whole text when no part of it looks like a reply of its own."""
    if not text.strip():
        return ""
    text = _LIST_FOOTER.sub("", _white_space_runs_shortened(text.replace("\r\n", "\n")))[:_READ_MAX]
    answer = _answered_quote(text.split("\n"))
    if answer:
        return answer
    text = _cut_at_quote_header(text)
    try:
        # keep_hyphen_lists: a "- item" list is part of the message, not a signature.
        replies = _library_read(text, keep_hyphen_lists=True).replies
    except (RecursionError, ValueError, IndexError):  # a library fault must not cost the mail its body
        return text.strip()
    visible = _without_sent_from_line(_reply_body(replies[0])) if replies else ""
    return visible or text.strip()
