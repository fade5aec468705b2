"""Every write of the search app: a ticket's search document, rebuilt from the ticket's data.

Rebuilding reads everything afresh (subject, requester, description, replies, notes, form answers, tags), so running
it twice, late or out of order gives the same document: the handlers and the backfill need no bookkeeping.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Expression, F, Func, Prefetch, QuerySet, TextField, Value
from django.db.models.functions import NullIf, Replace
from django.utils import timezone

from search.models import TicketDocument
from tickets.models import Comment, Ticket

# The snippet's highlight marks (search/highlight.py). They are taken out of indexed text, so the only marks in a
# snippet are the database's own, and nothing typed into a ticket can open or close one.
MARK_START = "\x02"
MARK_END = "\x03"
_UNINDEXED_CHARACTERS = str.maketrans({MARK_START: " ", MARK_END: " ", "\x00": " "})

# PostgreSQL's parser reads "ORD-12345" as "ord" and the signed number "-12345", so "12345" alone would not find it;
# and it reads "vpn-drops" as the word "vpn-drops" before its parts, so the query `vpn-drops` would not find "VPN drops"
# (SQLite's FTS5 splits both into their parts). A hyphen between two word characters becomes WORD_HYPHEN_READ_AS, in
# the indexed text and in the query alike: an underscore separates the words and still keeps them one phrase
# (`vpn-drops` is `"vpn drops"`, `-ORD-12345` leaves out "ord 12345"), and an address stays one address.
WORD_HYPHEN = r"(?<=\w)-(?=\w)"
WORD_HYPHEN_READ_AS = "_"
# PostgreSQL's parser also reads "https://intranet.example.com/wiki/Page", "/usr/local/bin/tool" and "1.2.3" as one
# token each (a url, a file, a version), so "wiki", "tool" or "1.2" would not find them (FTS5 splits them into their
# words). A PATH_SEPARATOR (a dot, slash, colon or backslash before a word or another one) gets PATH_SEPARATOR_SPLIT
# after it, in the indexed text and in the query alike: the parser then reads words and blanks, the separator stays in
# a snippet, and a query still keeps them one phrase (`1.2` is `"1 2"`). An email address, from its start, matches the
# first group and is kept whole, so `me@example.com` is that address, not every "example.com" (PostgreSQL's parser
# leaves the stop word "me" out). Every lookaround is one character wide: the time stays linear in the text's length
# ("a.a.a…" two hundred thousand characters long), where a wider one took minutes.
PATH_SEPARATOR = r"(?<![\w.+-])([\w.+-]+@[\w.-]*\w)|[./:\\](?=[./:\\\w])"
PATH_SEPARATOR_SPLIT = "\x1f"

# PostgreSQL refuses a tsvector over 1 MB; text past this many characters of one kind is not searchable.
TEXT_MAX_CHARS = 200_000

FTS_TABLE = "search_ticket_fts"
REBUILD_BATCH_SIZE = 500  # tickets per transaction when many are rebuilt at once


def _clean(text: str) -> str:
    return text.translate(_UNINDEXED_CHARACTERS)[:TEXT_MAX_CHARS]


def _document_for(ticket: Ticket) -> TicketDocument:
    public_parts = [ticket.description]
    submission = getattr(ticket, "submission", None)  # a ticket not opened through a form has none
    if submission is not None:
        public_parts.append(submission.answers_text)
    internal_parts = []
    for comment in ticket.comments.all():
        (internal_parts if comment.internal else public_parts).append(comment.body)
    public_parts.append(" ".join(tag.name for tag in ticket.tags.all()))
    requester = ticket.requester
    return TicketDocument(
        ticket=ticket,
        subject=_clean(ticket.subject),
        requester_name=_clean(requester.name),
        requester_email=_clean(requester.email),
        public_text=_clean("\n\n".join(part for part in public_parts if part)),
        internal_text=_clean("\n\n".join(internal_parts)),
        indexed_at=timezone.now(),
    )


def query_words_apart(query: str) -> str:
    """The query with its hyphens and path separators read as the documents' are (`words_apart`)."""
    query = re.sub(WORD_HYPHEN, WORD_HYPHEN_READ_AS, query)
    return re.sub(PATH_SEPARATOR, r"\g<0>" + PATH_SEPARATOR_SPLIT, query)


def paths_apart(text: str | Expression) -> Func:
    """`text` (a column's name, or an expression) with PATH_SEPARATOR_SPLIT after each PATH_SEPARATOR."""
    return _regexp_replace(text, PATH_SEPARATOR, r"\&" + PATH_SEPARATOR_SPLIT)


def words_apart(text: str | Expression) -> Func:
    """`text` with WORD_HYPHEN read as WORD_HYPHEN_READ_AS and its paths apart, as queries are."""
    return paths_apart(_regexp_replace(text, WORD_HYPHEN, WORD_HYPHEN_READ_AS))


def _regexp_replace(text: str | Expression, pattern: str, replacement: str) -> Func:
    return Func(
        F(text) if isinstance(text, str) else text,
        Value(pattern),
        Value(replacement),
        Value("g"),
        function="regexp_replace",
        output_field=TextField(),
    )


def search_configuration(language: str | None = None) -> str:
    """The text search configuration search reads with: SEARCH_LANGUAGE's accent-insensitive copy, so "cafe" finds
    "Café" as FTS5's `remove_diacritics` does on SQLite (made by `text_search_configurations_create`)."""
    return f"{language or settings.SEARCH_LANGUAGE}_unaccent"


def text_search_configurations_create(*, languages: Iterable[str], using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """PostgreSQL: for each of these text search configurations without one yet, its accent-insensitive copy: the
    `unaccent` dictionary (extension, search migration 0007) before the dictionaries of every token type that may
    hold more than ASCII. Returns the configurations made."""
    made = []
    with connections[using].cursor() as cursor:
        for language in languages:
            name = search_configuration(language)
            cursor.execute("SELECT 1 FROM pg_ts_config WHERE cfgname = %s AND pg_ts_config_is_visible(oid)", [name])
            if cursor.fetchone():
                continue
            cursor.execute(f'CREATE TEXT SEARCH CONFIGURATION "{name}" (COPY = "{language}")')
            cursor.execute(
                "SELECT token.alias, string_agg(map.mapdict::regdictionary::text, ', ' ORDER BY map.mapseqno) "
                "FROM pg_ts_config_map map JOIN ts_token_type('default') token ON token.tokid = map.maptokentype "
                "WHERE map.mapcfg = %s::regconfig AND token.alias NOT LIKE '%%ascii%%' GROUP BY token.alias",
                [name],
            )
            for token_type, dictionaries in cursor.fetchall():
                cursor.execute(
                    f'ALTER TEXT SEARCH CONFIGURATION "{name}" ALTER MAPPING FOR {token_type} '
                    f"WITH unaccent, {dictionaries}"
                )
            made.append(name)
    return made


def _address_without_accents() -> NullIf:
    """The requester's address without its accents (the `unaccent` extension's function, search migration 0007);
    NULL, so nothing is read twice, when it has none.

    The configuration's `unaccent` dictionary takes accents out of the tokens the parser has read, but the parser
    reads an address only when it is all ASCII: "josé@example.org" is the word "josé" and the host "example.org",
    while the query `jose@example.org` is one address token. This copy is that token, so the address written without
    its accents finds the requester's tickets as on SQLite; the query itself is read as before."""
    without_accents = Func(F("requester_email"), function="unaccent", output_field=TextField())
    return NullIf(without_accents, F("requester_email"))


def _public_vector() -> SearchVector:
    language = search_configuration()
    # The address as a whole ("alice@example.com"), in parts ("alice", "example.com") and without its accents, so
    # each finds it.
    address_parts = Replace(F("requester_email"), Value("@"), Value(" "), output_field=TextField())
    return (
        SearchVector(words_apart("subject"), weight="A", config=language)
        + SearchVector(
            words_apart("requester_name"),
            words_apart("requester_email"),
            words_apart(address_parts),
            words_apart(_address_without_accents()),
            weight="B",
            config=language,
        )
        + SearchVector(words_apart("public_text"), weight="C", config=language)
    )


def _staff_vector() -> SearchVector:
    return _public_vector() + SearchVector(words_apart("internal_text"), weight="C", config=search_configuration())


@transaction.atomic
def ticket_documents_rebuild(*, ticket_ids: Iterable[int]) -> int:
    """Write the search documents of these tickets from their data; documents of tickets gone are removed.

    Returns how many documents were written."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return 0
    tickets = (
        Ticket.objects.filter(pk__in=ids)
        .select_related("requester", "submission")
        .prefetch_related(Prefetch("comments", queryset=Comment.objects.order_by("created_at", "id")), "tags")
        .order_by("pk")
    )
    documents = [_document_for(ticket) for ticket in tickets]
    written = {document.ticket_id for document in documents}
    gone = [pk for pk in ids if pk not in written]
    if gone:
        TicketDocument.objects.filter(ticket_id__in=gone).delete()
    TicketDocument.objects.bulk_create(
        documents,
        update_conflicts=True,
        unique_fields=["ticket"],
        update_fields=["subject", "requester_name", "requester_email", "public_text", "internal_text", "indexed_at"],
    )
    if connection.vendor == "postgresql":
        TicketDocument.objects.filter(ticket_id__in=written).update(
            public_vector=_public_vector(), staff_vector=_staff_vector()
        )
    elif connection.vendor == "sqlite":
        _fts_write(ids, documents)
    return len(documents)


def _fts_write(ids: list[int], documents: list[TicketDocument]) -> None:
    with connection.cursor() as cursor:
        cursor.executemany(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [(pk,) for pk in ids])  # noqa: S608
        cursor.executemany(
            f"INSERT INTO {FTS_TABLE} (rowid, subject, requester, public, internal) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s)",
            [
                (
                    document.ticket_id,
                    document.subject,
                    f"{document.requester_name} {document.requester_email}",
                    document.public_text,
                    document.internal_text,
                )
                for document in documents
            ],
        )


def ticket_document_rebuild(*, ticket_id: int) -> None:
    ticket_documents_rebuild(ticket_ids=[ticket_id])


def requester_documents_rebuild(*, requester_id: int) -> int:
    """Rebuild the documents of every ticket of this requester; returns how many."""
    return _documents_rebuild_in_batches(Ticket.objects.filter(requester_id=requester_id))


def tag_documents_rebuild(*, tag_id: int) -> int:
    """Rebuild the documents of every ticket carrying this tag (renamed); returns how many."""
    return _documents_rebuild_in_batches(Ticket.objects.filter(tags=tag_id))


def _documents_rebuild_in_batches(tickets: QuerySet[Ticket]) -> int:
    """A batch per transaction, so many tickets never hold one long transaction."""
    tickets = tickets.order_by("pk")
    total, last = 0, 0
    while batch := list(tickets.filter(pk__gt=last).values_list("pk", flat=True)[:REBUILD_BATCH_SIZE]):
        total += ticket_documents_rebuild(ticket_ids=batch)
        last = batch[-1]
    return total
