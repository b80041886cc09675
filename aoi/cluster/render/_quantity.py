"""Kubernetes resource quantities (``100m``, ``64Mi``, ``15978548Ki``) with Go's canonical printing.

The API server stores quantities in canonical form (``0.5`` CPU comes back as ``500m``, ``1024Mi`` as ``1Gi``),
and kubectl sums and prints them with ``Quantity.String()``; this module reproduces that so describe output
(limits, node capacity, allocated resources, quota usage) matches byte for byte.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

DECIMAL_SI = "DecimalSI"
BINARY_SI = "BinarySI"
DECIMAL_EXPONENT = "DecimalExponent"

_BINARY_SUFFIXES = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_BY_EXPONENT = {v: k for k, v in _DECIMAL_SUFFIXES.items()}
_BINARY_BY_POWER = {v: k for k, v in _BINARY_SUFFIXES.items()}
_QUANTITY_RE = re.compile(
    r"^(?P<sign>[+-]?)(?P<int>\d*)(?:\.(?P<frac>\d*))?"
    r"(?:(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE](?P<exp>[+-]?\d+))?$"
)
_NANO = Fraction(1, 10**9)


@dataclass(frozen=True)
class Quantity:
    """An exact quantity value plus the format (suffix family) it was written in."""

    value: Fraction
    fmt: str = DECIMAL_SI

    @classmethod
    def parse(cls, text: object) -> Quantity:
        """Parse a quantity string (ints and floats are accepted too); raises ``ValueError`` when malformed."""
        if isinstance(text, bool):
            raise ValueError(f"not a quantity: {text!r}")
        if isinstance(text, int):
            return cls(Fraction(text), DECIMAL_SI)
        if isinstance(text, float):
            return cls(Fraction(str(text)), DECIMAL_SI)
        raw = str(text).strip()
        m = _QUANTITY_RE.match(raw)
        if not m or not (m.group("int") or m.group("frac")):
            raise ValueError(f"not a quantity: {text!r}")
        digits = (m.group("int") or "0") + "." + (m.group("frac") or "0")
        value = Fraction(digits)
        suffix, exp = m.group("suffix"), m.group("exp")
        if exp is not None:
            value *= Fraction(10) ** int(exp)
            fmt = DECIMAL_EXPONENT
        elif suffix in _BINARY_SUFFIXES:
            value *= 1024 ** _BINARY_SUFFIXES[suffix]
            fmt = BINARY_SI
        else:
            value *= Fraction(10) ** _DECIMAL_SUFFIXES[suffix or ""]
            fmt = DECIMAL_SI
        if m.group("sign") == "-":
            value = -value
        # Go keeps at most nano precision and rounds anything finer up (away from zero).
        scaled = value / _NANO
        if scaled.denominator != 1:
            value = Fraction(math.ceil(scaled) if value > 0 else math.floor(scaled)) * _NANO
        return cls(value, fmt)

    def __add__(self, other: Quantity) -> Quantity:
        """Sum keeping the receiver's format, like ``Quantity.Add``."""
        return Quantity(self.value + other.value, self.fmt)

    def milli_value(self) -> int:
        """``MilliValue()``: the value in thousandths, rounded up."""
        return math.ceil(self.value * 1000)

    def int_value(self) -> int:
        """``Value()``: the value rounded up to an integer."""
        return math.ceil(self.value)

    def __str__(self) -> str:
        return canonical(self.value, self.fmt)


def _decimal_parts(value: Fraction) -> tuple[int, int]:
    """Return ``(mantissa, exponent)`` with the exponent a multiple of three, as Go's ``AsCanonicalBytes`` does."""
    exponent = -9
    mantissa = int(value / _NANO)
    while mantissa != 0 and mantissa % 10 == 0:
        mantissa //= 10
        exponent += 1
    shift = exponent % 3
    mantissa *= 10**shift
    exponent -= shift
    while exponent > 18:
        mantissa *= 1000
        exponent -= 3
    return mantissa, exponent


def canonical(value: Fraction, fmt: str) -> str:
    """Go's ``Quantity.String()`` for a value written in the given format."""
    if value == 0:
        return "0"
    if fmt == BINARY_SI and (abs(value) < 1024 or value.denominator != 1):
        fmt = DECIMAL_SI
    if fmt == BINARY_SI:
        number, power = int(value), 0
        while number % 1024 == 0 and power < 6:
            number //= 1024
            power += 1
        return f"{number}{_BINARY_BY_POWER.get(power, '')}"
    mantissa, exponent = _decimal_parts(value)
    if fmt == DECIMAL_EXPONENT:
        return f"{mantissa}e{exponent}" if exponent != 0 else str(mantissa)
    return f"{mantissa}{_DECIMAL_BY_EXPONENT[exponent]}"


def quantity_str(raw: object) -> str:
    """Canonical form of a raw quantity from an object; unparsable values are shown as they are."""
    try:
        return str(Quantity.parse(raw))
    except ValueError:
        return str(raw)


def try_parse(raw: object) -> Quantity | None:
    """Parse ``raw`` or return ``None`` when it is missing or malformed."""
    if raw is None:
        return None
    try:
        return Quantity.parse(raw)
    except ValueError:
        return None


ZERO = Quantity(Fraction(0), DECIMAL_SI)
