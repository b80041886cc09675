"""Kubernetes resource quantities: `200m` CPU, `64Mi` memory, `1Gi` storage."""

from __future__ import annotations

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
_DECIMAL = {"k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}


def cpu_millicores(value: str | int | float | None) -> int:
    """`"200m"` → 200, `"1"` → 1000, `0.5` → 500.

    Raises:
        ValueError: when the text is not a CPU quantity.
    """
    if value is None or value == "":
        return 0
    text = str(value).strip()
    if text.endswith("m"):
        return int(float(text[:-1]))
    return round(float(text) * 1000)


def bytes_of(value: str | int | float | None) -> int:
    """`"64Mi"` → 67108864, `"1G"` → 10**9, `"15671348Ki"` → bytes.

    Raises:
        ValueError: when the text is not a quantity.
    """
    if value is None or value == "":
        return 0
    text = str(value).strip()
    for suffix, factor in _BINARY.items():
        if text.endswith(suffix):
            return int(float(text[: -len(suffix)]) * factor)
    for suffix, factor in _DECIMAL.items():
        if text.endswith(suffix):
            return int(float(text[: -len(suffix)]) * factor)
    if text.endswith("m"):
        return int(float(text[:-1]) / 1000)
    return int(float(text))


def mebibytes(value: str | int | float | None) -> float:
    return bytes_of(value) / 2**20


def format_cpu(millicores: int) -> str:
    return f"{millicores}m" if millicores % 1000 else str(millicores // 1000)


def format_memory(n_bytes: int) -> str:
    for suffix in ("Gi", "Mi", "Ki"):
        if n_bytes and n_bytes % _BINARY[suffix] == 0:
            return f"{n_bytes // _BINARY[suffix]}{suffix}"
    return str(n_bytes)
