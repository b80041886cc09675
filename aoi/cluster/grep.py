"""Caller-supplied log filters (`logs(grep=...)`): checked, bounded, and matched under a time limit.

A grep pattern comes from the model or a remote client, so it is hostile: Python's `re` backtracks, and
`(.*.*)*Q` against one long log line runs for longer than anyone waits, holding whatever lock the caller holds.
Three layers keep a pattern from taking the process down, each closing what the one before leaves open:

1. The syntax is Python's `re` and nothing more: the pattern is parsed by `re`'s own parser, so the extensions of
   the `regex` module (fuzzy matching, recursion, variable-length lookbehind) are refused, and its length is capped.
2. The parse tree's size after expanding counted repeats is capped: the `regex` module compiles `(a{9999}){9999}`
   by unrolling it, which runs for minutes before any time limit applies.
3. Matching runs in the `regex` module with a timeout over all the lines of one call (the module checks it inside
   its backtracking loop and raises `TimeoutError`), so every pattern that gets this far ends within the limit.

Why not the alternatives: rejecting nested quantifiers with plain `re` misses the polynomial cases
(`.*.*.*.*.*Q` is O(n^5) with no nesting at all) and alternations like `(a|aa)*`; a linear-time engine (`re2`)
is a compiled dependency with no wheel for every platform we install on, and a worker process per call costs
more than the call. `regex` is a pure-C extension with wheels everywhere and the same syntax for what we accept.

Callers compile with `LogFilter.parse` before taking any lock, and call `LogFilter.select` outside it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from re import _parser as re_parser  # type: ignore[attr-defined]  # re's own parser: the syntax we accept
from typing import Any

import regex

from aoi.cluster.interface import InvalidArgumentError

MAX_PATTERN_LENGTH = 256
"""Characters in a grep pattern; a log filter is a word or a short alternation, never a program."""

MAX_EXPANDED_SIZE = 20_000
"""Parse-tree nodes after counted repeats are unrolled (`(ab){3}` is 6); compiling this many takes milliseconds."""

MATCH_SECONDS = 1.0
"""Time limit for matching one call's lines."""

_OPCODE = type(re_parser.MAX_REPEAT)
_REPEATS = (re_parser.MAX_REPEAT, re_parser.MIN_REPEAT, re_parser.POSSESSIVE_REPEAT)


@dataclass(frozen=True, slots=True)
class LogFilter:
    """A checked, case-insensitive grep pattern."""

    source: str
    compiled: Any  # a regex.Pattern; the module ships no type stubs

    @classmethod
    def parse(cls, pattern: str) -> LogFilter:
        """Check and compile `pattern`.

        Raises:
            InvalidArgumentError: the pattern is not a string, is longer than `MAX_PATTERN_LENGTH`, is not a
                valid Python regular expression, or unrolls to more than `MAX_EXPANDED_SIZE` nodes.
        """
        if not isinstance(pattern, str):
            raise InvalidArgumentError(f"grep must be a string, got {type(pattern).__name__}")
        if len(pattern) > MAX_PATTERN_LENGTH:
            raise InvalidArgumentError(f"grep is {len(pattern)} characters; the limit is {MAX_PATTERN_LENGTH}. "
                                       "Filter on a word or a short phrase.")
        try:
            tree = re_parser.parse(pattern, re.IGNORECASE)
        except (re.error, RecursionError, OverflowError) as exc:
            raise InvalidArgumentError(f"grep is not a valid regular expression: {exc}") from exc
        if _expanded_size(tree, MAX_EXPANDED_SIZE) > MAX_EXPANDED_SIZE:
            raise InvalidArgumentError(f"grep repeats too much: its counted repeats ({{n}}) unroll to more than "
                                       f"{MAX_EXPANDED_SIZE} elements. Use smaller counts, or + and *.")
        try:
            compiled = regex.compile(pattern, regex.IGNORECASE | regex.VERSION0)
        except (regex.error, RecursionError, OverflowError) as exc:
            raise InvalidArgumentError(f"grep is not a valid regular expression: {exc}") from exc
        return cls(pattern, compiled)

    def select(self, lines: Iterable[str], *, seconds: float = MATCH_SECONDS) -> list[str]:
        """The lines the pattern matches somewhere in, in order.

        Raises:
            InvalidArgumentError: matching all the lines took longer than `seconds`.
        """
        deadline = time.monotonic() + seconds
        selected = []
        for line in lines:
            left = deadline - time.monotonic()
            try:
                if left <= 0:
                    raise TimeoutError
                if self.compiled.search(line, timeout=left):
                    selected.append(line)
            except TimeoutError:
                raise InvalidArgumentError(
                    f"grep took longer than the {seconds:g} s limit for matching; patterns like (.*)* or .*.*X "
                    "backtrack on long lines. Filter on a plain word instead.") from None
        return selected


def _expanded_size(node: Any, limit: int) -> int:
    """Nodes of an `re` parse tree with counted repeats unrolled, counted up to just past `limit`."""
    if isinstance(node, re_parser.SubPattern):
        node = node.data
    if not isinstance(node, list | tuple):
        return 0
    total = 0
    for item in node:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], _OPCODE):
            op, av = item
            if op in _REPEATS:
                low, high, sub = av
                count = max(low, 1 if high == re_parser.MAXREPEAT else high, 1)
                total += count * max(_expanded_size(sub, limit), 1)
            else:
                total += 1 + _expanded_size(av, limit)
        else:
            total += _expanded_size(item, limit)
        if total > limit:
            return total
    return total
