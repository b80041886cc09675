"""``kubectl get -o yaml`` output: go-yaml v2 conventions as used by ``sigs.k8s.io/yaml``.

kubectl turns the object into JSON and re-emits it with go-yaml v2, which explains the look of its YAML:
keys sorted (digit runs compared as numbers), two-space indentation with list items at their parent key's
indentation, ``{}``/``[]`` for empty collections, double quotes around strings that would otherwise read as
another type (``"9555"``, ``"true"``, timestamps, ``""``), single quotes around strings that cannot be plain,
``|`` blocks for multi-line strings, and long scalars folded at column 80. ``metadata.managedFields`` is
dropped, as kubectl hides it by default.
"""

from __future__ import annotations

import copy
import functools
import math
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

BEST_WIDTH = 80
_INDICATOR_FIRST = set("#,[]{}&*!|>'\"%@`")
_RESOLVE_MAP = {
    "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO", "off", "Off", "OFF",
    "true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL", "~", "",
    ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", "<<",
}  # fmt: skip
_YAML_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_BASE60_FLOAT = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_TIMESTAMP = re.compile(
    r"^\d{4}-\d{1,2}-\d{1,2}"
    r"(?:(?:[Tt]|[ \t]+)\d{1,2}:\d{1,2}:\d{1,2}(?:\.\d*)?(?:[ \t]*(?:Z|[-+]\d{1,2}(?::\d{2})?))?)?$"
)
_ESCAPES = {
    "\0": "0", "\a": "a", "\b": "b", "\t": "t", "\n": "n", "\v": "v", "\f": "f", "\r": "r", "\x1b": "e",
    '"': '"', "\\": "\\", "\x85": "N", "\xa0": "_", "\u2028": "L", "\u2029": "P",
}  # fmt: skip


def _go_int(text: str) -> bool:
    """``strconv.ParseInt(s, 0, 64)`` (or ``ParseUint``) after go-yaml removed underscores."""
    body = text[1:] if text[:1] in "+-" else text
    if not body:
        return False
    lowered = body.lower()
    for prefix, digits in (("0x", "0123456789abcdef"), ("0o", "01234567"), ("0b", "01")):
        if lowered.startswith(prefix):
            return len(lowered) > 2 and all(c in digits for c in lowered[2:])
    if body.startswith("0") and len(body) > 1:
        return all(c in "01234567" for c in body)
    return body.isdigit() and body.isascii()


def _resolves_to_non_string(text: str) -> bool:
    """Would go-yaml v2 read this plain scalar as something other than a string?"""
    if text in _RESOLVE_MAP:
        return True
    first = text[0]
    if first == ".":
        return bool(_YAML_FLOAT.match(text))
    if not (first.isdigit() or first in "+-"):
        return False
    if _TIMESTAMP.match(text):
        return True
    plain = text.replace("_", "")
    if _go_int(plain) or _YAML_FLOAT.match(plain):
        return True
    return plain.startswith(("0b", "-0b")) and all(c in "01" for c in plain.lstrip("-")[2:]) and len(plain) > 2


def _is_printable(ch: str) -> bool:
    """go-yaml's ``is_printable``: newline, printable ASCII, and the BMP outside surrogates and BOM."""
    code = ord(ch)
    return ch == "\n" or 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xD7FF or (0xE000 <= code <= 0xFFFD and code != 0xFEFF)


@functools.lru_cache(maxsize=4096)
def _analyze(text: str) -> tuple[bool, bool, bool]:
    """(block plain allowed, single quoted allowed, block literal allowed), as libyaml's scalar analysis."""
    if not text:
        return True, True, False
    block_indicators = special = line_breaks = False
    leading_space = trailing_space = space_break = break_space = False
    if text.startswith(("---", "...")):
        block_indicators = True
    preceded_by_ws = True
    previous_space = previous_break = False
    for i, ch in enumerate(text):
        followed_by_ws = i + 1 >= len(text) or text[i + 1] in " \t\r\n\x85\u2028\u2029"
        if i == 0:
            if ch in _INDICATOR_FIRST or (ch in "?:-" and followed_by_ws):
                block_indicators = True
        elif (ch == ":" and followed_by_ws) or (ch == "#" and preceded_by_ws):
            block_indicators = True
        if not _is_printable(ch):
            special = True
        if ch in "\r\n\x85\u2028\u2029":
            line_breaks = True
        if ch == " ":
            leading_space = leading_space or i == 0
            trailing_space = trailing_space or i == len(text) - 1
            break_space = break_space or previous_break
            previous_space, previous_break = True, False
        elif ch in "\r\n\x85\u2028\u2029":
            space_break = space_break or previous_space
            previous_space, previous_break = False, True
        else:
            previous_space = previous_break = False
        preceded_by_ws = ch in " \t\r\n\x85\u2028\u2029"
    edge_break = text[0] in "\r\n" or text[-1] in "\r\n"
    plain = not (leading_space or trailing_space or edge_break or break_space or space_break or special)
    plain = plain and not line_breaks and not block_indicators
    single = not (break_space or space_break or special)
    block = not (trailing_space or space_break or special)
    return plain, single, block


def _format_float(value: float) -> str:
    """Go's ``strconv.FormatFloat(f, 'g', -1, 64)`` with YAML's spellings of the special values."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    text = "".join(map(str, digits))
    exp10 = len(text) + int(exponent) - 1
    prefix = "-" if sign else ""
    if exp10 < -4 or exp10 >= 21:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{prefix}{mantissa}e{'-' if exp10 < 0 else '+'}{abs(exp10):02d}"
    if exp10 >= len(text) - 1:
        return prefix + text + "0" * (exp10 - len(text) + 1)
    if exp10 >= 0:
        return f"{prefix}{text[: exp10 + 1]}.{text[exp10 + 1 :]}"
    return f"{prefix}0.{'0' * (-exp10 - 1)}{text}"


def _key_compare(a: str, b: str) -> int:
    """go-yaml v2's map key order: letters by code point, digit runs by value, other runes before letters."""
    for i in range(min(len(a), len(b))):
        ca, cb = a[i], b[i]
        if ca == cb:
            continue
        la, lb = ca.isalpha(), cb.isalpha()
        if la and lb:
            return -1 if ca < cb else 1
        if la or lb:
            return 1 if la else -1
        an = bn = 0
        if ca == "0" or cb == "0":
            j = i - 1
            while j >= 0 and a[j].isdigit():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdigit():
            an = an * 10 + int(a[ai])
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdigit():
            bn = bn * 10 + int(b[bi])
            bi += 1
        if an != bn:
            return -1 if an < bn else 1
        if ai != bi:
            return -1 if ai < bi else 1
        return -1 if ca < cb else 1
    return (len(a) > len(b)) - (len(a) < len(b))


class _Emitter:
    """A tiny block-style YAML emitter reproducing the few libyaml behaviours kubectl output shows."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.column = 0
        self.fresh_line = True

    def put(self, text: str) -> None:
        self.parts.append(text)
        self.column += len(text)
        self.fresh_line = False

    def newline(self, indent: int) -> None:
        """libyaml's ``write_indent``: break the line unless already at a fresh one, then indent."""
        if not self.fresh_line or self.column > indent:
            self.parts.append("\n")
            self.column = 0
        self.parts.append(" " * (indent - self.column))
        self.column = indent
        self.fresh_line = False

    def raw_break(self) -> None:
        self.parts.append("\n")
        self.column = 0
        self.fresh_line = True

    # ---------------------------------------------------------------------------------------------- nodes

    def mapping(self, value: Mapping[str, Any], indent: int, inline_first: bool) -> None:
        keys = sorted(value, key=functools.cmp_to_key(lambda x, y: _key_compare(str(x), str(y))))
        for i, key in enumerate(keys):
            if i or not inline_first:
                self.newline(indent)
            else:
                self.put(" " * (indent - self.column))
            self.scalar(key, indent + 2, simple_key=True)
            self.put(":")
            self.value(value[key], indent)

    def sequence(self, value: Sequence[Any], indent: int, inline_first: bool) -> None:
        for i, item in enumerate(value):
            if i or not inline_first:
                self.newline(indent)
            else:
                self.put(" " * (indent - self.column))
            self.put("-")
            if isinstance(item, Mapping) and item:
                self.mapping(item, indent + 2, inline_first=True)
            elif isinstance(item, list | tuple) and item:
                self.sequence(item, indent + 2, inline_first=True)
            else:
                self.leaf(item, indent + 2)

    def value(self, value: Any, parent_indent: int) -> None:
        """A mapping value: nested blocks go on the next lines, lists stay at the key's indentation."""
        if isinstance(value, Mapping) and value:
            self.mapping(value, parent_indent + 2, inline_first=False)
        elif isinstance(value, list | tuple) and value:
            self.sequence(value, parent_indent, inline_first=False)
        else:
            self.leaf(value, parent_indent + 2)

    def leaf(self, value: Any, indent: int) -> None:
        if isinstance(value, Mapping):
            self.put(" {}")
        elif isinstance(value, list | tuple):
            self.put(" []")
        else:
            self.scalar(value, indent, simple_key=False)

    # -------------------------------------------------------------------------------------------- scalars

    def scalar(self, value: Any, indent: int, *, simple_key: bool) -> None:
        lead = "" if simple_key else " "
        if value is None:
            self.put(lead + "null")
        elif isinstance(value, bool):
            self.put(lead + ("true" if value else "false"))
        elif isinstance(value, int):
            self.put(lead + str(value))
        elif isinstance(value, float):
            self.put(lead + _format_float(value))
        else:
            self.string(str(value), indent, lead, simple_key)

    def string(self, text: str, indent: int, lead: str, simple_key: bool) -> None:
        plain_ok, single_ok, block_ok = _analyze(text)
        if "\n" in text:
            style = "literal" if block_ok and not simple_key else "double"
        elif _resolves_to_non_string(text) or _BASE60_FLOAT.match(text):
            style = "double"
        elif plain_ok:
            style = "plain"
        else:
            style = "single" if single_ok else "double"
        self.put(lead)
        allow_breaks = not simple_key
        if style == "plain":
            self.folded(text, indent, allow_breaks, quote="")
        elif style == "single":
            self.folded(text.replace("'", "''"), indent, allow_breaks, quote="'")
        elif style == "double":
            self.double(text, indent, allow_breaks)
        else:
            self.literal(text, indent)

    def folded(self, text: str, indent: int, allow_breaks: bool, quote: str) -> None:
        """Plain or single-quoted text, breaking at a space once past column 80 (never at the ends)."""
        self.put(quote)
        previous_space = False
        for i, ch in enumerate(text):
            if ch == " ":
                inner = not quote or 0 < i < len(text) - 1
                next_space = i + 1 < len(text) and text[i + 1] == " "
                if allow_breaks and not previous_space and self.column > BEST_WIDTH and inner and not next_space:
                    self.newline(indent)
                else:
                    self.put(ch)
                previous_space = True
            else:
                self.put(ch)
                previous_space = False
        self.put(quote)

    def double(self, text: str, indent: int, allow_breaks: bool) -> None:
        self.put('"')
        previous_space = False
        for i, ch in enumerate(text):
            if ch in _ESCAPES or not _is_printable(ch):
                code = ord(ch)
                if ch in _ESCAPES:
                    self.put("\\" + _ESCAPES[ch])
                elif code <= 0xFF:
                    self.put(f"\\x{code:02X}")
                elif code <= 0xFFFF:
                    self.put(f"\\u{code:04X}")
                else:
                    self.put(f"\\U{code:08X}")
                previous_space = False
            elif ch == " ":
                if allow_breaks and not previous_space and self.column > BEST_WIDTH and 0 < i < len(text) - 1:
                    self.newline(indent)
                    if text[i + 1] == " ":
                        self.put("\\")
                else:
                    self.put(ch)
                previous_space = True
            else:
                self.put(ch)
                previous_space = False
        self.put('"')

    def literal(self, text: str, indent: int) -> None:
        hints = "|"
        if text[0] in " \n":
            hints += "2"
        if not text.endswith("\n"):
            hints += "-"
        elif text == "\n" or text.endswith("\n\n"):
            hints += "+"
        self.put(hints)
        self.raw_break()
        at_break = True
        for ch in text:
            if ch == "\n":
                self.raw_break()
                at_break = True
                continue
            if at_break:
                self.parts.append(" " * indent)
                self.column = indent
                self.fresh_line = False
                at_break = False
            self.put(ch)


def _strip_managed_fields(obj: Any) -> Any:
    if isinstance(obj, Mapping) and isinstance(obj.get("metadata"), Mapping) and "managedFields" in obj["metadata"]:
        obj = copy.deepcopy(dict(obj))
        obj["metadata"].pop("managedFields", None)
    return obj


def _dump_document(doc: Any) -> str:
    emitter = _Emitter()
    if isinstance(doc, Mapping) and doc:
        emitter.mapping(doc, 0, inline_first=True)
    elif isinstance(doc, list | tuple) and doc:
        emitter.sequence(doc, 0, inline_first=True)
    elif isinstance(doc, Mapping):
        emitter.put("{}")
    elif isinstance(doc, list | tuple):
        emitter.put("[]")
    else:
        emitter.scalar(doc, 0, simple_key=False)
        emitter.parts[0] = emitter.parts[0].lstrip(" ")
    text = "".join(emitter.parts)
    return text if text.endswith("\n") else text + "\n"


def render_yaml(obj_or_list: Mapping[str, Any] | Sequence[Mapping[str, Any]], *, multi_document: bool = False) -> str:
    """Render one object, or a list of objects, like ``kubectl get ... -o yaml``.

    A list becomes kubectl's ``kind: List`` wrapper; with ``multi_document`` the objects are instead emitted
    one after the other, separated by ``---`` lines (the layout of a manifest file).
    """
    if isinstance(obj_or_list, Mapping):
        return _dump_document(_strip_managed_fields(obj_or_list))
    items = [_strip_managed_fields(o) for o in obj_or_list]
    if multi_document:
        return "---\n".join(_dump_document(o) for o in items)
    wrapper = {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}
    return _dump_document(wrapper)
