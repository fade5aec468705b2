"""HTML mail for people to read: sanitised by nh3 for showing to staff, and turned into plain text for the ticket.

No image survives sanitising: a remote image is a tracking pixel the moment staff open the page, and inline (cid:)
images are kept as attachments instead. The site's CSP (img-src 'self' data:) is the second lock on that door.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

_BLOCK_TAGS = {
    "address", "article", "blockquote", "caption", "dd", "div", "dl", "dt", "figure", "footer", "h1", "h2", "h3",
    "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section", "table", "tr", "ul",
}  # fmt: skip


# nh3's parser (html5ever) takes time growing with the square of how deeply elements nest, and caps no depth
# (servo/html5ever#788): 50,000 nested <div>s (537 KB) took 10 s, in code a worker's time limit cannot stop. Real mail
# has a few thousand tags: HTML with up to _WHOLE_START_TAGS_MAX of them is sanitised whole (at most about a second).
# Longer HTML is sanitised _PIECE_START_TAGS at a time, each piece on its own: the time grows with its length, and a
# time limit can stop the worker between pieces. An element still open where a piece ends is closed there. Each piece
# comes out safe and closed, so their sequence does.
_WHOLE_START_TAGS_MAX = 20_000
_PIECE_START_TAGS = 1_000
_START_TAG = re.compile(r"<[A-Za-z]")  # every place a start tag may begin, some in comments or attributes


def sanitize_html(html: str) -> str:
    """Safe to put in a staff page as is: no scripts, styles, images, forms or event handlers."""
    return "".join(_piece_sanitized(piece) for piece in _pieces(html))


def _pieces(html: str) -> Iterator[str]:
    """The HTML whole, or cut before every _PIECE_START_TAGS-th possible start tag when it has more than
    _WHOLE_START_TAGS_MAX of them (see there)."""
    starts = _START_TAG.finditer(html)
    if next(itertools.islice(starts, _WHOLE_START_TAGS_MAX, None), None) is None:
        yield html
        return
    cut = 0
    for number, start in enumerate(_START_TAG.finditer(html)):
        if number and number % _PIECE_START_TAGS == 0:
            yield html[cut : start.start()]
            cut = start.start()
    yield html[cut:]


def _piece_sanitized(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._pre_depth = 0
        self._links: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n" if tag in ("p", "blockquote", "table", "ul", "ol", "pre") else "\n")
        if tag == "pre":
            self._pre_depth += 1
        if tag == "a":
            self._links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._pre_depth = max(self._pre_depth - 1, 0)
        if tag == "a" and self._links:
            href = self._links.pop()
            if href and href.startswith(("http://", "https://")) and href not in self.parts[-1:]:
                self.parts.append(f" <{href}>")
        if tag in _BLOCK_TAGS and tag != "li":  # the next item starts its own line
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data if self._pre_depth else re.sub(r"\s+", " ", data))


def html_to_text(sanitized_html: str) -> str:
    """The readable text of sanitize_html's output: paragraphs and line breaks kept, links written out. Sanitised HTML
    is well formed, with no scripts or styles whose code would read as text."""
    collector = _TextCollector()
    collector.feed(sanitized_html)
    collector.close()
    lines = [line.strip() for line in "".join(collector.parts).replace("\xa0", " ").splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
