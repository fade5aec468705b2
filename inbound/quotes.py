"""The visible part of a reply: what the person wrote, without the quoted history and their signature.

mail-parser-reply splits the text at the reply headers of common clients in many languages ("On … wrote:",
"Am … schrieb:", Outlook's "From:/Sent:" block, "-----Original Message-----") and finds the signature. The full
text is always kept (the original message is one click away), so a wrong cut hides text, it never loses it.
"""

from __future__ import annotations

from mailparser_reply import EmailReplyParser
from mailparser_reply.constants import MAIL_LANGUAGES

# Every language the library knows; its English rules are always added.
_parser = EmailReplyParser(languages=[language for language in MAIL_LANGUAGES if len(language) == 2])


def visible_reply(text: str) -> str:
    """The newest reply in `text`; the whole text when no part of it looks like a reply of its own."""
    if not text.strip():
        return ""
    try:
        replies = _parser.read(text).replies
    except (RecursionError, ValueError, IndexError):  # a library fault must not cost the mail its body
        return text.strip()
    visible = replies[0].body.strip() if replies else ""
    return visible or text.strip()
