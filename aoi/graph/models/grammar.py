"""JSON schema → llama.cpp grammar (GBNF), with two gaps of llama-cpp-python's converter closed.

- Integer bounds: llama-cpp-python 0.3.x turns `{"type": "integer", "minimum": 0, "maximum": 100}` into "any
  integer", so a "confidence 0–100" field could come back as 250 or -3. Decisions carry confidences, step numbers
  and counts. Number (float) bounds are still not enforced; validate parsed output as usual.
- Control characters: its string rule lets a raw newline or tab into a string, which is not JSON — a model that
  wrote a two-line summary produced a decision no parser accepts. Strings here exclude U+0000–U+001F, as JSON does
  (escaped `\n` stays allowed).
"""

from __future__ import annotations

import functools
import math
from typing import Any

DigitRun = list[tuple[int, int]]
"""One decimal digit range per position, e.g. [(1, 9), (0, 9)] is 10–99."""

JSON_STRING_CHAR = (r'[^"\\\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] '
                    r'[0-9a-fA-F])')
"""One character of a JSON string: anything but a quote, a backslash or a control character, or an escape."""
LARGEST = 10**16 - 1
"""Stands in for a missing bound: llama.cpp's own integer rule allows at most 16 digits."""


def integer_bounds(schema: dict) -> tuple[int, int] | None:
    """The inclusive [low, high] of an integer schema with a bound, or None if it has none.

    Raises:
        ValueError: the bounds leave no integer.
    """
    if schema.get("type") != "integer":
        return None
    bound = {k: v for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
             if isinstance(v := schema.get(k), int | float) and not isinstance(v, bool)}
    if not bound:
        return None
    low, high = -LARGEST, LARGEST
    if "minimum" in bound:
        low = max(low, math.ceil(bound["minimum"]))
    if "exclusiveMinimum" in bound:
        low = max(low, math.floor(bound["exclusiveMinimum"]) + 1)
    if "maximum" in bound:
        high = min(high, math.floor(bound["maximum"]))
    if "exclusiveMaximum" in bound:
        high = min(high, math.ceil(bound["exclusiveMaximum"]) - 1)
    if low > high:
        raise ValueError(f"no integer satisfies {schema}")
    return low, high


def integer_range(low: int, high: int) -> list[tuple[bool, DigitRun]]:
    """Alternatives (negative?, digit run) whose union is exactly the JSON integers in [low, high].

    JSON form: no leading zeros and no "-0", so each integer has exactly one spelling.
    """
    alternatives: list[tuple[bool, DigitRun]] = []
    if low < 0:
        alternatives += [(True, run) for run in _natural_range(max(1, -high), -low)]
    if high >= 0:
        alternatives += [(False, run) for run in _natural_range(max(0, low), high)]
    return alternatives


def _natural_range(low: int, high: int) -> list[DigitRun]:
    if low > high:
        return []
    runs: list[DigitRun] = []
    for length in range(len(str(low)), len(str(high)) + 1):
        first = max(low, 10 ** (length - 1) if length > 1 else 0)
        last = min(high, 10**length - 1)
        if first <= last:
            runs += _same_length(str(first), str(last))
    return runs


def _same_length(low: str, high: str) -> list[DigitRun]:
    """Runs covering the equal-length decimal strings low..high (low <= high)."""
    if not low:
        return [[]]
    if low[0] == high[0]:
        digit = int(low[0])
        return [[(digit, digit), *rest] for rest in _same_length(low[1:], high[1:])]
    width = len(low) - 1
    first, last = int(low[0]), int(high[0])
    head: list[DigitRun] = []
    tail: list[DigitRun] = []
    if low[1:] != "0" * width:
        head = [[(first, first), *rest] for rest in _same_length(low[1:], "9" * width)]
        first += 1
    if high[1:] != "9" * width:
        tail = [[(last, last), *rest] for rest in _same_length("0" * width, high[1:])]
        last -= 1
    middle = [[(first, last), *[(0, 9)] * width]] if first <= last else []
    return head + middle + tail


def integer_range_gbnf(low: int, high: int) -> str:
    """A GBNF expression matching exactly the JSON integers in [low, high]."""

    def spelling(negative: bool, run: DigitRun) -> str:
        digits = " ".join(f'"{a}"' if a == b else f"[{a}-{b}]" for a, b in run)
        return f'"-" {digits}' if negative else digits

    return " | ".join(spelling(negative, run) for negative, run in integer_range(low, high))


def schema_to_gbnf(schema: dict) -> str:
    """GBNF for `schema`: llama-cpp-python's converter, plus exact integer bounds; property order is kept.

    Raises:
        ValueError: the schema uses something the converter cannot express, or bounds that leave no integer.
    """
    converter = _converter_class()(prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False)
    try:
        converter.visit(inline_refs(schema), "")
    except (AssertionError, KeyError, NotImplementedError, TypeError) as exc:
        raise ValueError(f"cannot express the JSON schema as a grammar: {exc or type(exc).__name__}") from exc
    return converter.format_grammar()


def inline_refs(schema: dict) -> dict:
    """`schema` with every local `$ref` (`#/$defs/x`, `#/definitions/x`) replaced by a copy of its target.

    llama-cpp-python's converter resolves refs only in some layouts; our decision schemas are acyclic, so
    inlining them is exact and leaves the converter plain objects.

    Raises:
        ValueError: a ref that is not local, points nowhere, or is cyclic.
    """
    defs = {**schema.get("definitions", {}), **schema.get("$defs", {})}

    def resolve(node: object, seen: tuple[str, ...]) -> object:
        if isinstance(node, list):
            return [resolve(item, seen) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            name = ref.rsplit("/", 1)[-1]
            if not ref.startswith(("#/$defs/", "#/definitions/")) or name not in defs:
                raise ValueError(f"unsupported $ref {ref!r}")
            if name in seen:
                raise ValueError(f"cyclic $ref {ref!r}")
            return resolve(defs[name], (*seen, name))
        return {k: resolve(v, seen) for k, v in node.items() if k not in ("$defs", "definitions")}

    resolved = resolve(schema, ())
    assert isinstance(resolved, dict)
    return resolved


@functools.cache
def _converter_class() -> type:
    # Built on first use so that importing this module does not import llama_cpp.
    from llama_cpp.llama_grammar import RESERVED_NAMES, SchemaConverter

    class BoundedIntegerConverter(SchemaConverter):
        def visit(self, schema: dict, name: str) -> str:
            bounds = integer_bounds(schema) if isinstance(schema, dict) else None
            if bounds is None:
                return super().visit(schema, name)
            rule_name = name + "-" if name in RESERVED_NAMES else name or "root"
            return self._add_rule(rule_name, f"({integer_range_gbnf(*bounds)}) space")

        def _add_primitive(self, name: str, rule: Any) -> str:
            if name == "char":
                rule = type(rule)(JSON_STRING_CHAR, [])
            return super()._add_primitive(name, rule)

    return BoundedIntegerConverter
