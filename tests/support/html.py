"""Inspect rendered HTML the way a browser would: by elements and attributes, not by substrings."""

from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser

DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "svg", "math", "style", "base", "form"}
SAFE_URL_SCHEMES = ("http:", "https:", "mailto:", "/", "#", "?")
# A URL names a scheme when it starts with letters and a colon; anything else ("../password/") is relative.
URL_WITH_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:")
# Elements whose content is code or style, not text a reader sees.
RAW_TEXT_TAGS = {"script", "style"}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        # The inline body of each element, by its index in `elements` (script and style only).
        self.bodies: dict[int, str] = {}
        self.texts: list[str] = []
        self._raw_text_index: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag in RAW_TEXT_TAGS:
            self._raw_text_index = len(self.elements) - 1
            self.bodies[self._raw_text_index] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag in RAW_TEXT_TAGS:
            self._raw_text_index = None

    def handle_data(self, data: str) -> None:
        if self._raw_text_index is not None:
            self.bodies[self._raw_text_index] += data
        else:
            self.texts.append(data)


@lru_cache(maxsize=16)
def _parse(html: str) -> _Collector:
    """Parsed once per page, however many questions are asked of it; callers only read the result."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    return _parse(html).elements


def _is_json_data(tag: str, attrs: dict[str, str | None], body: str) -> bool:
    """Django's `json_script`: a data block browsers never run, whose body cannot close it (it escapes `<`)."""
    return tag == "script" and attrs.get("type") == "application/json" and "<" not in body and "src" not in attrs


def _is_script_file(tag: str, attrs: dict[str, str | None], body: str, script_sources: tuple[str, ...]) -> bool:
    """A `<script src>` loading one of our own files, with nothing inline that could run instead."""
    src = attrs.get("src")
    return (
        tag == "script"
        and src is not None
        and src == src.strip()
        and src.startswith(script_sources)
        and not body.strip()
    )


def active_content(
    html: str, *, allowed_tags: frozenset[str] = frozenset(), script_sources: tuple[str, ...] = ()
) -> list[str]:
    """Everything in `html` a browser could execute: script-like tags, on* handlers, unsafe URLs.

    `script_sources` lets through `<script src=...>` files whose address starts with one of these same-origin
    paths (say "/static/") and that have an empty body. Inline scripts, and their handlers and URLs, still count.
    """
    # A prefix such as "//" or "https:" would admit other sites' scripts; only our own paths are allowed.
    assert all(prefix.startswith("/") and not prefix.startswith("//") for prefix in script_sources), script_sources
    collector = _parse(html)
    problems = []
    for index, (tag, attrs) in enumerate(collector.elements):
        body = collector.bodies.get(index, "")
        allowed = (
            tag in allowed_tags or _is_script_file(tag, attrs, body, script_sources) or _is_json_data(tag, attrs, body)
        )
        if tag in DANGEROUS_TAGS and not allowed:
            problems.append(f"<{tag}>")
        for name, value in attrs.items():
            if name.startswith("on"):
                problems.append(f"{tag}[{name}]")
            is_url = name in {"href", "src", "action", "formaction", "xlink:href"}
            if is_url and value is not None and not is_safe_url(value):
                problems.append(f"{tag}[{name}={value}]")
    return problems


def _as_browser_reads_url(value: str) -> str:
    # Browsers skip whitespace and control characters in a scheme ("java\tscript:"), so they go first.
    return "".join(ch for ch in value if ch > " ").lower()


def is_safe_url(value: str) -> bool:
    url = _as_browser_reads_url(value)
    return url.startswith(SAFE_URL_SCHEMES) or not URL_WITH_SCHEME.match(url)


@lru_cache(maxsize=16)
def shown_text(html: str) -> str:
    """What the page shows as text or holds in attribute values (an input's value), references decoded."""
    collector = _parse(html)
    values = [value for _, attrs in collector.elements for value in attrs.values() if value]
    return " ".join([*collector.texts, *values])


def shows_as_text(html: str, text: str) -> bool:
    """True when `text` reaches the page inert, as text or an attribute value; whitespace and line breaks aside."""
    return "".join(text.split()) in "".join(shown_text(html).split())


def blocked_by_strict_csp(html: str, *, nonce: str | None = None) -> list[str]:
    """What a policy without 'unsafe-inline' would refuse to run or apply: the page would silently break there.

    Inline `<script>` bodies, `<style>` elements and any element's `style=`/`on*=` attributes, and javascript:
    URLs; a `<script>` or `<style>` carrying the response's `nonce` is allowed.
    """
    collector = _parse(html)
    blocked = []
    for index, (tag, attrs) in enumerate(collector.elements):
        has_nonce = nonce is not None and attrs.get("nonce") == nonce
        is_data = attrs.get("type") == "application/json"  # json_script: read by code, never run
        if (
            tag == "script"
            and not (has_nonce or is_data)
            and (attrs.get("src") is None or collector.bodies[index].strip())
        ):
            blocked.append("inline <script>")
        if tag == "style" and not has_nonce:
            blocked.append("<style> element")
        blocked.extend(f"{tag}[{name}]" for name in attrs if name == "style" or name.startswith("on"))
        blocked.extend(
            f"{tag}[{name}={value}]"
            for name, value in attrs.items()
            if name in {"href", "src", "action", "formaction"}
            and _as_browser_reads_url(value or "").startswith("javascript:")
        )
    return blocked


def submit_token(page: str) -> str:
    """The one-time token (helpdesk.forms.SubmitTokenField) of the form on a page."""
    return re.search(r'<input type="hidden" name="submit_token" value="([^"]+)"', page).group(1)
