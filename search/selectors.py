"""Which tickets a search matches, and the snippet that shows why; PostgreSQL full text or SQLite FTS5.

What a query means, on both databases:
- words in any order, each must match (stemmed: "crashes" finds "crash"); `"two words"` is a phrase, `-word` (or
  `-"two words"`) leaves out tickets with the word, alone it finds every other ticket, `a or b` takes either
  (PostgreSQL's `websearch_to_tsquery` rules);
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

import re
from collections.abc import Iterator

from django.conf import settings
from django.contrib.postgres.search import SearchHeadline, SearchQuery
from django.db import connection
from django.db.models import Expression, F, OuterRef, Q, QuerySet, Subquery, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat

from search.models import TicketDocument
from search.services import FTS_TABLE, MARK_END, MARK_START, NUMBER_HYPHEN, NUMBER_HYPHEN_READ_AS
from tickets.models import Ticket

_TICKET_NUMBER = re.compile(r"(#?)(\d{1,18})")
# An optional minus (leave it out), then a quoted phrase (its closing quote may be missing) or a run of anything but
# spaces and quotes.
_TERM = re.compile(r'(-?)(?:"([^"]*)"?|([^\s"]+))')
_WORD_CHARACTER = re.compile(r"\w")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
SUBSTRING_MIN_CHARS = 3  # trigram indexes cannot help with less
SNIPPET_WORDS = 16
FTS_PUBLIC_COLUMNS = "subject requester public"  # all but `internal`


def _cleaned(query: str) -> str:
    return " ".join(_CONTROL_CHARACTERS.sub(" ", query).split())


def ticket_ids_matching(query: str, *, include_internal: bool) -> QuerySet:
    """The ids (a one-column queryset, for `pk__in=`) of the tickets whose document matches `query`."""
    query = _cleaned(query)
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
    expression = fts_expression(query)
    if expression is not None:
        return Q(ticket_id__in=_fts_matches(expression, include_internal=include_internal))
    left_out = fts_left_out_only(query)
    if left_out is None:
        return None
    # FTS5 has no query for "every row but": the documents that do not match what is left out.
    return ~Q(ticket_id__in=_fts_matches(left_out, include_internal=include_internal))


def _fts_matches(expression: str, *, include_internal: bool) -> RawSQL:
    if not include_internal:
        expression = f"{{{FTS_PUBLIC_COLUMNS}}} : ({expression})"
    # The user's words travel as a parameter; only constants are formatted into the SQL.
    return RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [expression])  # noqa: S608, S611


def _search_query(query: str) -> SearchQuery:
    query = re.sub(NUMBER_HYPHEN, NUMBER_HYPHEN_READ_AS, query)  # as the documents were indexed (search/services.py)
    return SearchQuery(query, search_type="websearch", config=settings.SEARCH_LANGUAGE)


def _fts_terms(query: str) -> Iterator[tuple[str, bool, bool]]:
    """Each term of the query quoted for FTS5, with whether it is left out (`-word`) and whether `or` came before it."""
    either = False
    for match in _TERM.finditer(query):
        excluded, phrase, bare = bool(match.group(1)), match.group(2), match.group(3)
        if not excluded and bare is not None and bare.lower() == "or":
            either = True
            continue
        text = phrase if phrase is not None else bare
        if not _WORD_CHARACTER.search(text):
            continue
        yield '"' + text.replace('"', '""') + '"', excluded, either
        either = False


def fts_expression(query: str) -> str | None:
    """An FTS5 query with the meaning of `websearch_to_tsquery`; every term quoted, so no input is FTS5 syntax.

    None when no term is wanted (FTS5 cannot start with NOT): see `fts_left_out_only` for a query of exclusions."""
    expression = ""
    deferred_exclusions: list[str] = []
    for term, excluded, either in _fts_terms(query):
        if excluded:
            if expression:
                expression += f" NOT {term}"
            else:
                deferred_exclusions.append(term)
        elif not expression:
            expression = term + "".join(f" NOT {excluded_term}" for excluded_term in deferred_exclusions)
        else:
            expression += f" {'OR' if either else 'AND'} {term}"
    return expression or None


def fts_left_out_only(query: str) -> str | None:
    """For a query that only leaves terms out (`-spam -"out of office"`), the FTS5 query of the documents it leaves
    out; None for any other query."""
    terms = list(_fts_terms(query))
    if not terms or not all(excluded for _, excluded, _ in terms):
        return None
    return " OR ".join(term for term, _, _ in terms)


def snippet_expression(query: str, *, include_internal: bool) -> Expression:
    """Per ticket, the best passage of its document for `query`, the matched words between MARK_START and MARK_END.

    Raw text: render it with `search.highlight.snippet_html`, which escapes it. An annotation, so the database
    computes it only for the rows of the page it returns."""
    query = _cleaned(query)
    if connection.vendor == "postgresql":
        # From the ticket's text, not its subject or requester: the row shows those already.
        text = (
            Concat("public_text", Value("\n"), "internal_text", output_field=TextField())
            if include_internal
            else F("public_text")
        )
        headline = SearchHeadline(
            text,
            _search_query(query),
            config=settings.SEARCH_LANGUAGE,
            start_sel=MARK_START,
            stop_sel=MARK_END,
            max_words=SNIPPET_WORDS + 8,
            min_words=SNIPPET_WORDS // 2,
            max_fragments=2,
            fragment_delimiter=" … ",
        )
        documents = TicketDocument.objects.filter(ticket_id=OuterRef("pk")).annotate(snippet=headline)
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
