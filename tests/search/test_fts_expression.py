"""SQLite's search query: the web-search rules written as FTS5, with every term quoted so no input is syntax, and
PostgreSQL's english stop words left out as its english configuration leaves them out."""

from __future__ import annotations

import pytest

from search.selectors import fts_expression


@pytest.mark.parametrize(
    ("query", "expression"),
    [
        ("printer jams", '"printer" AND "jams"'),
        ('"third floor" printer', '"third floor" AND "printer"'),
        ("printer -tray", '"printer" NOT "tray"'),
        ("-tray printer", '"printer" NOT "tray"'),
        ("laptop or vpn", '"laptop" OR "vpn"'),
        ("or laptop", '"laptop"'),
        ('say "hi', '"say" AND "hi"'),
        ('x"y', '"x" AND "y"'),
        ("NEAR(x AND y)", '"NEAR(x" AND "y"'),  # "and" is a stop word
        ("a printer", '"printer"'),  # stop words are not searched for
        ("printer's", '"printer"'),
        ('"the third floor"', '"third floor"'),
        ('"printer on the floor"', '"printer on the floor"'),  # only the outer ones
        ("out-of-office", '"office"'),
        ("the -an", None),
        ("vpn-drops", '"vpn-drops"'),  # a phrase of its parts to FTS5
        ("laptop or -vpn", '"laptop"'),  # the rows without vpn are a query of their own
        ("x y or -z w", '"x" AND "y" OR "w" NOT "z"'),
        ("x or the y", '"x" OR "y"'),
        ("alice@example.com", '"alice@example.com"'),
        ("col:umn *", '"col:umn"'),
        ("", None),
        ("- # ( )", None),
    ],
)
def test_web_search_rules_become_quoted_fts5_terms(query, expression):
    assert fts_expression(query) == expression
