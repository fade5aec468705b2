"""The visible part of a reply: what the person wrote, without the quoted history and their signature.

mail-parser-reply splits the text at the reply headers of common clients in many languages ("On … wrote:",
"Am … schrieb:", Outlook's "From:/Sent:" block, "-----Original Message-----") and finds the signature. The full
text is always kept (the original message is one click away), so a wrong cut hides text, it never loses it.
"""

from __future__ import annotations

import re

from mailparser_reply import EmailMessage
from mailparser_reply.constants import MAIL_LANGUAGES

# Every language the library knows (its English rules are always added).
_LANGUAGES = [language for language in MAIL_LANGUAGES if len(language) == 2]


# What the library misses, in any language: a quote header in a language it has no rules for, or broken over
# lines ("W dniu 2017-01-09 11:59 użytkownik X <x@example.com> napisał:"): up to three lines ending with a colon
# that name an address and a time; and a separator line ("-----Original Message-----", "---- Oprindelig besked
# ----", Outlook's underscores) followed by a "From:" block, or naming an address itself.
_HEADER_LINES = 3
_ADDRESS_AND_TIME = re.compile(r"(?=.*@)(?=.*\b\d{1,2}[:.]\d{2}\b)(?=.*(?:\b\d{4}\b|<[^<>@\s]+@[^<>\s]+>))")
_SEPARATOR = re.compile(r"^[ \t]*(?:_{8,}|-{8,}|-{2,}[^\n]{1,60}?-{2,})[ \t]*$")
_FIELD = re.compile(r"^[ \t]*\*?[^\W\d_][\w ]{1,20}\*?[ \t]?:\*?(?:[ \t]|\S)")
_FIELD_BLOCK = 3  # "From:", "Sent:", "To:"... with an address among them


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
        if stripped.endswith(":") and len(stripped) <= 300:
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
    return "\n".join(lines[:start]) if start else text


def visible_reply(text: str) -> str:
    """The newest reply in `text`; the whole text when no part of it looks like a reply of its own."""
    if not text.strip():
        return ""
    text = _cut_at_quote_header(text.replace("\r\n", "\n"))
    try:
        # keep_hyphen_lists: a "- item" list is part of the message, not a signature.
        replies = EmailMessage(text=text, languages=list(_LANGUAGES), keep_hyphen_lists=True).read().replies
    except (RecursionError, ValueError, IndexError):  # a library fault must not cost the mail its body
        return text.strip()
    visible = replies[0].body.strip() if replies else ""
    return visible or text.strip()
