"""Admin-written regular expressions, matched in time linear in the answer's length.

Python's `re` backtracks, so a pattern like `(a+)+$` can take exponential time on a crafted answer. Rejecting
"dangerous-looking" patterns only makes that unlikely; we want it impossible. So the pattern is parsed with Python's
own regex parser (same syntax, same error messages) and compiled to a Thompson NFA that is simulated state-set by
state-set: at most (answer length x NFA states) steps, with both bounded (MAX_MATCH_LENGTH, MAX_STATES).

The price: constructs a state-set simulation cannot express are refused when the pattern is saved — back-references,
look-arounds, atomic groups, possessive quantifiers, conditional groups, and the flags that change matching
(ignore-case, multi-line, ASCII, locale). Everything else means exactly what it means to `re.fullmatch`.
"""

from __future__ import annotations

import operator
import re
import re._constants as sre
import re._parser as sre_parse
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache, partial

MAX_PATTERN_LENGTH = 200
MAX_MATCH_LENGTH = 1000
MAX_STATES = 1000  # with MAX_MATCH_LENGTH, a worst case of about a quarter of a second

# VERBOSE only changes how the pattern is read, DOTALL is handled below, UNICODE is the default for str patterns.
_ALLOWED_FLAGS = re.VERBOSE | re.DOTALL | re.UNICODE

UNSUPPORTED = (
    "uses a construct that cannot be checked safely (back-references, look-arounds, atomic groups, possessive "
    "quantifiers, conditional groups or flags other than (?x) and (?s))."
)


class UnsafePattern(ValueError):
    pass


@dataclass
class _State:
    kind: str  # "char" (consume one character), "split" (epsilon to each of `out`), "assert", "match"
    test: Callable[[str], bool] | None = None
    at: object = None
    out: list[int] = field(default_factory=list)


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


# The same predicates sre uses for str patterns: Py_UNICODE_ISDECIMAL, Py_UNICODE_ISSPACE, ISALNUM or "_".
_CATEGORIES: dict[object, Callable[[str], bool]] = {
    sre.CATEGORY_DIGIT: str.isdecimal,
    sre.CATEGORY_NOT_DIGIT: lambda ch: not ch.isdecimal(),
    sre.CATEGORY_SPACE: str.isspace,
    sre.CATEGORY_NOT_SPACE: lambda ch: not ch.isspace(),
    sre.CATEGORY_WORD: _is_word,
    sre.CATEGORY_NOT_WORD: lambda ch: not _is_word(ch),
}


def _class_test(items: list[tuple[object, object]]) -> Callable[[str], bool]:
    negate = False
    tests: list[Callable[[str], bool]] = []
    for op, av in items:
        if op is sre.NEGATE:
            negate = True
        elif op is sre.LITERAL:
            tests.append(partial(operator.eq, chr(av)))
        elif op is sre.RANGE:
            tests.append(lambda ch, lo=av[0], hi=av[1]: lo <= ord(ch) <= hi)
        elif op is sre.CATEGORY and av in _CATEGORIES:
            tests.append(_CATEGORIES[av])
        else:
            raise UnsafePattern(UNSUPPORTED)
    return lambda ch: negate != any(test(ch) for test in tests)


class _Compiler:
    def __init__(self, dotall: bool) -> None:
        self.states: list[_State] = []
        self.dotall = dotall

    def add(self, state: _State) -> int:
        if len(self.states) >= MAX_STATES:
            raise UnsafePattern("is too complex (too many repetitions); simplify it.")
        self.states.append(state)
        return len(self.states) - 1

    def sequence(self, items: list[tuple[object, object]], cont: int) -> int:
        for item in reversed(items):
            cont = self.item(item, cont)
        return cont

    def item(self, item: tuple[object, object], cont: int) -> int:
        op, av = item
        if op is sre.LITERAL:
            return self.add(_State("char", test=partial(operator.eq, chr(av)), out=[cont]))
        if op is sre.NOT_LITERAL:
            return self.add(_State("char", test=partial(operator.ne, chr(av)), out=[cont]))
        if op is sre.ANY:
            test = (lambda ch: True) if self.dotall else (lambda ch: ch != "\n")
            return self.add(_State("char", test=test, out=[cont]))
        if op is sre.IN:
            return self.add(_State("char", test=_class_test(av), out=[cont]))
        if op is sre.BRANCH:
            return self.add(_State("split", out=[self.sequence(alt, cont) for alt in av[1]]))
        if op is sre.SUBPATTERN:
            _group, add_flags, del_flags, body = av
            if add_flags or del_flags:
                raise UnsafePattern(UNSUPPORTED)
            return self.sequence(body.data if hasattr(body, "data") else body, cont)
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            # Greedy or lazy makes no difference to whether the WHOLE answer matches.
            return self.repeat(*av, cont=cont)
        if op is sre.AT and av in (
            sre.AT_BEGINNING,
            sre.AT_BEGINNING_STRING,
            sre.AT_END,
            sre.AT_END_STRING,
            sre.AT_BOUNDARY,
            sre.AT_NON_BOUNDARY,
        ):
            return self.add(_State("assert", at=av, out=[cont]))
        raise UnsafePattern(UNSUPPORTED)

    def repeat(self, low: int, high: int, body: object, *, cont: int) -> int:
        items = body.data if hasattr(body, "data") else body
        if high is sre.MAXREPEAT:
            loop = self.add(_State("split"))
            self.states[loop].out = [self.sequence(items, loop), cont]
            tail = loop
        else:
            tail = cont
            for _ in range(high - low):
                tail = self.add(_State("split", out=[self.sequence(items, tail), cont]))
        for _ in range(low):
            tail = self.sequence(items, tail)
        return tail


def _assertion_holds(at: object, text: str, pos: int) -> bool:
    if at in (sre.AT_BEGINNING, sre.AT_BEGINNING_STRING):
        return pos == 0
    if at is sre.AT_END:  # `$` without MULTILINE: the end, or just before a final newline
        return pos == len(text) or (pos == len(text) - 1 and text[pos] == "\n")
    if at is sre.AT_END_STRING:
        return pos == len(text)
    before = pos > 0 and _is_word(text[pos - 1])
    after = pos < len(text) and _is_word(text[pos])
    return (before != after) if at is sre.AT_BOUNDARY else (before == after)


@dataclass(frozen=True)
class SafePattern:
    states: tuple[_State, ...]
    start: int

    def fullmatch(self, text: str) -> bool:
        """True when the whole text matches. Callers check len(text) <= MAX_MATCH_LENGTH first."""
        current = self._closure({self.start}, text, 0)
        for pos, ch in enumerate(text):
            stepped = {
                state.out[0]
                for state in (self.states[i] for i in current)
                if state.kind == "char" and state.test is not None and state.test(ch)
            }
            current = self._closure(stepped, text, pos + 1)
            if not current:
                return False
        return any(self.states[i].kind == "match" for i in current)

    def _closure(self, seeds: set[int], text: str, pos: int) -> set[int]:
        seen: set[int] = set()
        stack = list(seeds)
        while stack:
            index = stack.pop()
            if index in seen:
                continue
            seen.add(index)
            state = self.states[index]
            if state.kind == "split" or (state.kind == "assert" and _assertion_holds(state.at, text, pos)):
                stack.extend(state.out)
        return {i for i in seen if self.states[i].kind in ("char", "match")}


@lru_cache(maxsize=256)
def compile_safe(pattern: str) -> SafePattern:
    """The pattern as a linear-time matcher. Raises re.error or UnsafePattern; see pattern_problem."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise UnsafePattern(f"is longer than {MAX_PATTERN_LENGTH} characters.")
    parsed = sre_parse.parse(pattern)
    flags = parsed.state.flags
    if flags & ~_ALLOWED_FLAGS:
        raise UnsafePattern(UNSUPPORTED)
    compiler = _Compiler(dotall=bool(flags & re.DOTALL))
    match = compiler.add(_State("match"))
    start = compiler.sequence(parsed.data, match)
    return SafePattern(states=tuple(compiler.states), start=start)


def pattern_problem(pattern: str) -> str | None:
    """Why this pattern cannot be used, as a sentence, or None when it is fine."""
    try:
        compile_safe(pattern)
    except re.error as error:
        return f"The regular expression does not compile: {error}."
    except UnsafePattern as error:
        return f"The regular expression {error}"
    except RecursionError:
        return "The regular expression is nested too deeply."
    return None
