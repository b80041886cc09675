"""JSON schema → GBNF: integer bounds are exact, property order is kept, strings are JSON strings."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aoi.graph.models.grammar import LARGEST, integer_bounds, integer_range, integer_range_gbnf, schema_to_gbnf


def as_regex(low: int, high: int) -> re.Pattern[str]:
    """The same alternatives as a Python regex, so membership can be checked exhaustively."""
    return re.compile("|".join(alternative(negative, run) for negative, run in integer_range(low, high)))


def alternative(negative: bool, run: list[tuple[int, int]]) -> str:
    return "-" * negative + "".join(f"[{a}-{b}]" for a, b in run)


@pytest.mark.parametrize(("low", "high"), [(0, 100), (37, 42), (7, 1234), (-50, -3), (-12, 7), (0, 0), (-1, -1),
                                           (95, 105), (1, 9999)])
def test_integer_range_matches_exactly_the_json_integers_in_bounds(low: int, high: int) -> None:
    pattern = as_regex(low, high)

    accepted = {n for n in range(low - 300, high + 300) if pattern.fullmatch(str(n))}

    assert accepted == set(range(low, high + 1))
    assert not any(pattern.fullmatch(s) for s in ("-0", "00", "007", "+5", "1.0", ""))


@given(st.integers(-10**6, 10**6), st.integers(0, 10**6), st.integers(-10**6, 2 * 10**6))
def test_integer_range_membership_holds_for_arbitrary_bounds(low: int, width: int, probe: int) -> None:
    high = low + width

    assert bool(as_regex(low, high).fullmatch(str(probe))) == (low <= probe <= high)


def test_each_integer_has_exactly_one_alternative_so_the_grammar_is_unambiguous() -> None:
    alternatives = [re.compile(alternative(negative, run)) for negative, run in integer_range(-120, 1050)]

    for n in range(-120, 1051):
        assert sum(bool(p.fullmatch(str(n))) for p in alternatives) == 1, n


def test_gbnf_for_zero_to_one_hundred_is_three_alternatives() -> None:
    assert integer_range_gbnf(0, 100) == '[0-9] | [1-9] [0-9] | "1" "0" "0"'


def test_bounds_come_from_minimum_maximum_and_the_exclusive_forms() -> None:
    assert integer_bounds({"type": "integer", "minimum": 0, "maximum": 100}) == (0, 100)
    assert integer_bounds({"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10}) == (1, 9)
    assert integer_bounds({"type": "integer", "minimum": 0.5, "maximum": 3.5}) == (1, 3)
    assert integer_bounds({"type": "integer", "minimum": 1}) == (1, LARGEST)
    assert integer_bounds({"type": "integer"}) is None
    assert integer_bounds({"type": "number", "minimum": 0}) is None
    assert integer_bounds({"type": "integer", "minimum": True}) is None


def test_bounds_that_leave_no_integer_are_a_value_error() -> None:
    with pytest.raises(ValueError, match="no integer satisfies"):
        integer_bounds({"type": "integer", "minimum": 5, "maximum": 4})


def test_schema_grammar_bounds_integers_and_keeps_property_order() -> None:
    pytest.importorskip("llama_cpp")
    schema = {"type": "object", "properties": {"summary": {"type": "string"}, "confidence": {"type": "integer",
              "minimum": 0, "maximum": 100}, "count": {"type": "integer"}}, "required": ["summary", "confidence",
                                                                                         "count"]}

    rules = dict(line.split(" ::= ", 1) for line in schema_to_gbnf(schema).splitlines())

    assert rules["confidence"] == '([0-9] | [1-9] [0-9] | "1" "0" "0") space'
    assert rules["root"] == '"{" space summary-kv "," space confidence-kv "," space count-kv "}" space'
    assert rules["count-kv"].endswith("integer")


def test_a_bounded_integer_at_the_root_or_named_like_a_builtin_rule_still_works() -> None:
    pytest.importorskip("llama_cpp")

    root = dict(line.split(" ::= ", 1) for line in schema_to_gbnf({"type": "integer", "minimum": 1, "maximum": 3})
                .splitlines())
    nested = schema_to_gbnf({"type": "object", "properties": {"integer": {"type": "integer", "maximum": 0,
                                                                          "minimum": -2}}, "required": ["integer"]})

    assert root["root"] == "([1-3]) space"
    assert 'integer- ::= ("-" [1-2] | "0") space' in nested.splitlines()


def test_schemas_sharing_defs_are_inlined_into_one_grammar() -> None:
    from aoi.graph.models.grammar import inline_refs, schema_to_gbnf

    schema = {"$defs": {"service": {"enum": ["geo", "rate"]}},
              "type": "object", "properties": {"target": {"$ref": "#/$defs/service"}}, "required": ["target"],
              "additionalProperties": False}
    assert inline_refs(schema) == {"type": "object", "properties": {"target": {"enum": ["geo", "rate"]}},
                                   "required": ["target"], "additionalProperties": False}
    grammar = schema_to_gbnf(schema)
    assert '"\\"geo\\""' in grammar and '"\\"rate\\""' in grammar


def test_a_cyclic_or_remote_ref_is_refused() -> None:
    from aoi.graph.models.grammar import inline_refs

    with pytest.raises(ValueError, match="cyclic"):
        inline_refs({"$defs": {"a": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"})
    with pytest.raises(ValueError, match="unsupported"):
        inline_refs({"$ref": "https://example.com/schema.json"})


@given(st.characters())
def test_a_string_character_is_allowed_exactly_when_json_allows_it_unescaped(char: str) -> None:
    pytest.importorskip("llama_cpp")
    rules = dict(line.split(" ::= ", 1) for line in schema_to_gbnf({"type": "string"}).splitlines())
    unescaped = rules["char"].split(" | ")[0]  # a GBNF character class is also a Python regex class
    try:
        json_ok = json.loads(f'"{char}"') == char
    except json.JSONDecodeError:
        json_ok = False
    assert bool(re.fullmatch(unescaped, char)) == json_ok


def test_strings_of_bounded_length_use_the_same_json_character_rule() -> None:
    pytest.importorskip("llama_cpp")
    rules = dict(line.split(" ::= ", 1) for line in schema_to_gbnf(
        {"type": "object", "properties": {"s": {"type": "string", "maxLength": 3}}, "required": ["s"]}).splitlines())
    assert "(char (char (char)?)?)?" in rules["s"]
    assert rules["char"].startswith(r'[^"\\\x00-\x1F] | ')
