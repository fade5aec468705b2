"""Which tickets a search matches, and the snippet that shows why; PostgreSQL full text or SQLite FTS5.

What a query means, on both databases:
- words in any order, each must match (stemmed: "crashes" finds "crash"); `"two words"` is a phrase, `-word` (or
  `-"two words"`) leaves out tickets with the word, alone it finds every other ticket, `a or b` takes either, and
  `a or -b` tickets with a or without b (PostgreSQL's `websearch_to_tsquery` rules);
- English stop words ("a", "the", a possessive's "s") are not searched for, as PostgreSQL's english configuration
  drops them: `a printer` is `printer`, and a query of stop words only matches no text (a requester's name or
  address still: `will` finds Will Turner's tickets);
- a hyphenated word is its parts as a phrase: `vpn-drops` finds "vpn-drops" and "VPN drops" (search/services.py
  `WORD_HYPHEN`); so are a URL, a path or a version number (`PATH_SEPARATOR`): `wiki` finds
  "https://intranet.example.com/wiki/Page", `1.2` "1.2.3"; an email address stays one word;
- accents are ignored: `cafe` finds "Café" (PostgreSQL's `unaccent`, FTS5's `remove_diacritics`), and
  `jose@example.org` the requester josé@example.org (search/services.py `_address_without_accents`);
- a minus not right before a word or a quote leaves nothing out and is ignored (`- printer` is `printer`, `--tray` is
  `-tray`); a query of nothing else is no search at all, like an empty box;
- `#123` is ticket 123 only; a bare `123` is ticket 123 or the number in the text;
- a requester's address, its local part (`alice@`) or its domain (`example.com`) are words of the document; one
  word of three characters or more (not starting or ending with `@`) also matches inside the requester's name or
  address (`ali`, `northw`, `alice@exam`), through trigram indexes on PostgreSQL;
- text: subject, requester name and address, description, public replies, form answers and tags; internal notes only
  with `include_internal` (staff). A requester's search reads the public vector or column only, so an internal note
  can never make one of their tickets match.

These select among all documents; the caller intersects with what the user may see (`tickets_visible_to`), so a
count of results never includes anyone else's tickets.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterator
from functools import reduce

from django.contrib.postgres.search import SearchHeadline, SearchQuery
from django.db import connection
from django.db.models import Expression, F, OuterRef, Q, QuerySet, Subquery, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat, Replace

from search.models import TicketDocument
from search.services import (
    FTS_TABLE,
    MARK_END,
    MARK_START,
    PATH_SEPARATOR_SPLIT,
    paths_apart,
    query_words_apart,
    search_configuration,
)
from tickets.models import Ticket

_TICKET_NUMBER = re.compile(r"(#?)(\d{1,18})")
# An optional minus (leave it out), then a quoted phrase (its closing quote may be missing) or a run of anything but
# spaces and quotes.
_TERM = re.compile(r'(-?)(?:"([^"]*)"?|([^\s"]+))')
_WORD_CHARACTER = re.compile(r"\w")
# A run of letters and digits: a word as FTS5's unicode61 tokenizer keeps it (an underscore separates words there).
_WORD = re.compile(r"[^\W_]+")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
# A minus that starts a term but is not right before a word or a quote ("-", "- printer", "-)", the first of "--tray").
# websearch_to_tsquery would carry it to the next word ("- printer" leaving printer out, "--tray" wanting tray).
_IDLE_MINUS = re.compile(r'(?<!\S)-+(?![\w"])')
# PostgreSQL's english stop words (its tsearch_data/english.stop, from Snowball's English stop list), which the
# english configuration leaves out of documents and queries. FTS5 keeps every word, so SQLite leaves them out of the
# query: "a printer" would otherwise need an "a" in the ticket.
_ENGLISH_STOP_LIST = """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself
    it its itself they them their theirs themselves what which who whom this that these those am is are was were be
    been being have has had having do does did doing a an the and but if or because as until while of at by for with
    about against between into through during before after above below to from up down in out on off over under
    again further then once here there when where why how all any both each few more most other some such no nor not
    only own same so than too very s t can will just don should now
"""
ENGLISH_STOP_WORDS = frozenset(_ENGLISH_STOP_LIST.split())
SUBSTRING_MIN_CHARS = 3  # trigram indexes cannot help with less
SNIPPET_WORDS = 16
FTS_PUBLIC_COLUMNS = "subject requester public"  # all but `internal`


def query_cleaned(query: str) -> str:
    """The query as searched: no control characters, no minus that leaves nothing out, single spaces. When it is empty
    there is nothing to search for: no search at all, as an empty box."""
    return " ".join(_IDLE_MINUS.sub(" ", _CONTROL_CHARACTERS.sub(" ", query)).split())


def ticket_ids_matching(query: str, *, include_internal: bool) -> QuerySet:
    """The ids (a one-column queryset, for `pk__in=`) of the tickets whose document matches `query`."""
    query = query_cleaned(query)
    number = _TICKET_NUMBER.fullmatch(query)
    if number and number.group(1):
        return Ticket.objects.filter(pk=int(number.group(2))).values("pk")
    condition = _text_condition(query, include_internal=include_internal)
    if condition is None:
        return TicketDocument.objects.none().values("ticket_id")
    if number:
        condition |= Q(ticket_id=int(number.group(2)))
    if _is_requester_fragment(query):
        condition |= Q(requester_email__icontains=query) | Q(requester_name__icontains=query)
    return TicketDocument.objects.filter(condition).values("ticket_id")


def _is_requester_fragment(query: str) -> bool:
    """One word that may be part of a requester's name or address: "ali", "northw", "alice@exam".

    Not a local part or a domain on its own ("alice@", "@example.com"): those are whole words of the document
    already, and a trigram scan for a domain would only be slower (every address of it shares the trigrams)."""
    return (
        " " not in query and len(query) >= SUBSTRING_MIN_CHARS and not query.startswith("@") and not query.endswith("@")
    )


def _text_condition(query: str, *, include_internal: bool) -> Q | None:
    if not _WORD_CHARACTER.search(query):
        return None
    if connection.vendor == "postgresql":
        vector = "staff_vector" if include_internal else "public_vector"
        return Q(**{vector: _search_query(query)})
    alternatives = fts_alternatives(query)
    if not alternatives:
        return Q(pk__in=[])  # stop words only: no text matches, as PostgreSQL's empty query; names still may
    conditions = []
    expression = _fts_wanted(alternatives)
    if expression is not None:
        conditions.append(Q(ticket_id__in=_fts_matches(expression, include_internal=include_internal)))
    for wanted, left_out in alternatives:
        if not wanted:
            # FTS5 has no query for "every row but": the documents that do not match what is left out.
            left_out_matches = _fts_matches(" OR ".join(left_out), include_internal=include_internal)
            conditions.append(~Q(ticket_id__in=left_out_matches))
    return reduce(operator.or_, conditions)


def _fts_matches(expression: str, *, include_internal: bool) -> RawSQL:
    if not include_internal:
        expression = f"{{{FTS_PUBLIC_COLUMNS}}} : ({expression})"
    # The user's words travel as a parameter; only constants are formatted into the SQL.
    return RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [expression])  # noqa: S608, S611


def _search_query(query: str) -> SearchQuery:
    # As the documents were indexed (search/services.py).
    return SearchQuery(query_words_apart(query), search_type="websearch", config=search_configuration())


def _without_outer_stop_words(text: str) -> str | None:
    """`text` from its first word that is not a stop word to its last ("printer's" is "printer", "the third floor"
    "third floor"); None when every word is one.

    Stop words between two others stay: FTS5 matches the phrase as written, as PostgreSQL's phrase counts the words
    it left out. An address is one word to PostgreSQL, never cut ("me@example.com")."""
    if "@" in text:
        return text if _WORD.search(text) else None
    kept = [word for word in _WORD.finditer(text) if word.group().lower() not in ENGLISH_STOP_WORDS]
    if not kept:
        return None
    return text[kept[0].start() : kept[-1].end()]


def _fts_terms(query: str) -> Iterator[tuple[str, bool, bool]]:
    """Each term of the query quoted for FTS5, with whether it is left out (`-word`) and whether `or` came before it.

    A term with nothing to search for (punctuation, stop words) is skipped; an `or` before it applies to the next."""
    either = False
    for match in _TERM.finditer(query):
        excluded, phrase, bare = bool(match.group(1)), match.group(2), match.group(3)
        if not excluded and bare is not None and bare.lower() == "or":
            either = True
            continue
        text = _without_outer_stop_words(phrase if phrase is not None else bare)
        if text is None:
            continue
        yield '"' + text.replace('"', '""') + '"', excluded, either
        either = False


def fts_alternatives(query: str) -> list[tuple[list[str], list[str]]]:
    """The query as websearch_to_tsquery reads it: alternatives (`or` between them), each a list of wanted terms and
    a list of terms left out, quoted for FTS5. `a b or -c d` is a and b, or d without c."""
    alternatives: list[tuple[list[str], list[str]]] = []
    for term, excluded, either in _fts_terms(query):
        if either or not alternatives:
            alternatives.append(([], []))
        alternatives[-1][1 if excluded else 0].append(term)
    return alternatives


def fts_expression(query: str) -> str | None:
    """An FTS5 query for the alternatives of `query` that want a term; every term quoted, so no input is FTS5 syntax.

    None when none does. FTS5 cannot start with NOT: an alternative that only leaves terms out (`-spam`, `a or -b`)
    is the documents that do not match them (`_text_condition`)."""
    return _fts_wanted(fts_alternatives(query))


def _fts_wanted(alternatives: list[tuple[list[str], list[str]]]) -> str | None:
    # NOT binds tighter than AND, and AND than OR, in FTS5 as in a tsquery: no parentheses needed.
    expressions = [
        " AND ".join(wanted) + "".join(f" NOT {term}" for term in left_out)
        for wanted, left_out in alternatives
        if wanted
    ]
    return " OR ".join(expressions) or None


def snippet_expression(query: str, *, include_internal: bool) -> Expression:
    """Per ticket, the best passage of its document for `query`, the matched words between MARK_START and MARK_END.

    Raw text: render it with `search.highlight.snippet_html`, which escapes it. An annotation, so the database
    computes it only for the rows of the page it returns."""
    query = query_cleaned(query)
    if connection.vendor == "postgresql":
        # From the ticket's text, not its subject or requester: the row shows those already. Its paths apart as they
        # were indexed, so a part of one is highlighted; the split marks are taken out again.
        text = (
            Concat("public_text", Value("\n"), "internal_text", output_field=TextField())
            if include_internal
            else F("public_text")
        )
        headline = SearchHeadline(
            paths_apart(text),
            _search_query(query),
            config=search_configuration(),
            start_sel=MARK_START,
            stop_sel=MARK_END,
            max_words=SNIPPET_WORDS + 8,
            min_words=SNIPPET_WORDS // 2,
            max_fragments=2,
            fragment_delimiter=" … ",
        )
        snippet = Replace(headline, Value(PATH_SEPARATOR_SPLIT), Value(""), output_field=TextField())
        documents = TicketDocument.objects.filter(ticket_id=OuterRef("pk")).annotate(snippet=snippet)
        return Subquery(documents.values("snippet")[:1], output_field=TextField())
    expression = fts_expression(query) if _WORD_CHARACTER.search(query) else None
    if expression is None:
        return Value(None, output_field=TextField())
    # From the ticket's text (column 2), or for staff the internal notes (column 3) when only they match; not the
    # subject or requester, which the row shows already.
    public = f"snippet({FTS_TABLE}, 2, char(2), char(3), '…', {SNIPPET_WORDS})"
    internal = f"snippet({FTS_TABLE}, 3, char(2), char(3), '…', {SNIPPET_WORDS})"
    if include_internal:
        only_internal_matches = f"instr({public}, char(2)) = 0 AND instr({internal}, char(2)) > 0"
        chosen = f"CASE WHEN {only_internal_matches} THEN {internal} ELSE {public} END"
    else:
        expression, chosen = f"{{{FTS_PUBLIC_COLUMNS}}} : ({expression})", public
    return RawSQL(  # noqa: S611 -- the words are a parameter; columns and sizes are constants
        f"SELECT {chosen} FROM {FTS_TABLE} "  # noqa: S608
        f'WHERE {FTS_TABLE} MATCH %s AND rowid = "tickets_ticket"."id"',
        [expression],
        output_field=TextField(),
    )
