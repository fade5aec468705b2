"""For pages that write many rows as HTML in Python (the queue's lines, the staff ticket page's conversation): what
a template would look up again for every row, looked up once."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.urls import get_script_prefix, reverse
from django.utils import translation
from django.utils.dates import MONTHS_3

# An id no row has, to reverse an address once and put each row's id in its place.
_ID_PLACEHOLDER = 9_087_654_321_012_345


def url_with_id(name: str) -> Callable[[int], str]:
    """The address named `name` (its one argument an id) of any id: reversed once per process and script prefix."""
    around = _around_the_id(name, get_script_prefix())
    if around is None:  # an address that shows the id twice, or not at all: reverse each one
        return lambda pk: reverse(name, args=[pk])
    head, tail = around
    return lambda pk: f"{head}{pk}{tail}"


@functools.lru_cache(maxsize=64)
def _around_the_id(name: str, script_prefix: str) -> tuple[str, str] | None:
    marker = str(_ID_PLACEHOLDER)
    head, found, tail = reverse(name, args=[_ID_PLACEHOLDER]).partition(marker)
    return (head, tail) if found and marker not in tail else None


def month_abbreviations() -> tuple[str, ...]:
    """The `M` of Django's date formats by month number ("Jan" at 1), in the current language; not escaped."""
    return _month_abbreviations(translation.get_language())


@functools.lru_cache(maxsize=64)
def _month_abbreviations(language: str | None) -> tuple[str, ...]:
    # MONTHS_3's names are lazy: each use would look the translation up again.
    return ("", *(str(MONTHS_3[month].title()) for month in range(1, 13)))
