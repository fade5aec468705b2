"""SQLite's search query: the web-search rules written as FTS5, with every term quoted so no input is syntax."""

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
        ('a"b', '"a" AND "b"'),
        ("NEAR(a AND b)", '"NEAR(a" AND "AND" AND "b)"'),
        ("alice@example.com", '"alice@example.com"'),
        ("col:umn *", '"col:umn"'),
        ("", None),
        ("- # ( )", None),
    ],
)
def test_web_search_rules_become_quoted_fts5_terms(query, expression):
    assert fts_expression(query) == expression
