"""Hostile input for the stored-XSS tests, and what a rendered page may legitimately contain besides."""

from __future__ import annotations

from tests.support.html import active_content

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "[a\nb](javascript:alert(1))",
    '"><svg onload=alert(1)>',
    "'\"><iframe src=javascript:alert(1)>",
]

# Every page has legitimate forms (log out, reply, the admin's), so <form> itself is allowed. Every payload that
# opens a tag opens one that is still flagged (<script>, <iframe>, or a handler: onerror, onload), so a failure
# to escape cannot hide behind the allowance.
LEGIT_TAGS = frozenset({"form"})
# The admin draws its theme icons as inline <svg> (handlers and URLs inside them are still checked), and loads
# its scripts as files from /static/ plus its translation catalogue, never inline. Our own pages load their
# progressive-enhancement scripts as files from /static/ too (the CSP allows nothing inline).
ADMIN_LEGIT_TAGS = LEGIT_TAGS | {"svg"}
ADMIN_SCRIPT_FILES = ("/static/", "/admin/jsi18n/")


def unexpected_active_content(html: str, *, admin: bool) -> list[str]:
    """What `html` could execute beyond what our pages, or the admin's, contain by design."""
    if admin:
        return active_content(html, allowed_tags=ADMIN_LEGIT_TAGS, script_sources=ADMIN_SCRIPT_FILES)
    return active_content(html, allowed_tags=LEGIT_TAGS, script_sources=("/static/",))
