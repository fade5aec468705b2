"""Inspect rendered HTML the way a browser would: by elements and attributes, not by substrings."""

from __future__ import annotations

from html.parser import HTMLParser

DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "svg", "math", "style", "base", "form"}
SAFE_URL_SCHEMES = ("http:", "https:", "mailto:", "/", "#", "?")


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    collector = _Collector()
    collector.feed(html)
    return collector.elements


def active_content(html: str, *, allowed_tags: frozenset[str] = frozenset()) -> list[str]:
    """Everything in `html` a browser could execute: script-like tags, on* handlers, unsafe URLs."""
    problems = []
    for tag, attrs in elements(html):
        if tag in DANGEROUS_TAGS and tag not in allowed_tags:
            problems.append(f"<{tag}>")
        for name, value in attrs.items():
            if name.startswith("on"):
                problems.append(f"{tag}[{name}]")
            if name in {"href", "src", "action", "formaction", "xlink:href"} and value is not None:
                url = "".join(value.split()).lower()
                if not url.startswith(SAFE_URL_SCHEMES):
                    problems.append(f"{tag}[{name}={value}]")
    return problems
