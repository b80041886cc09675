"""Parse ``kubectl get`` tables back into cells (for fidelity checks against recorded kubectl output)."""

from __future__ import annotations

import re

_HEADER_CELL = re.compile(r"\S+(?: \S+)*")


def parse_kubectl_table(text: str) -> tuple[list[str], list[list[str]]]:
    """Split a kubectl table into its header cells and rows of cells.

    Columns are located from the header line: header names are separated by at least two blanks (the
    tabwriter pads with three) and may contain single blanks (``LAST SEEN``, ``NOMINATED NODE``). Every row
    cell starts at its column's header position, so rows are cut at those positions; cells may therefore
    contain any text, including runs of blanks. ``No resources found...`` and empty text give ``([], [])``.
    Raises ``ValueError`` when the first line is not an upper-case header (e.g. a tail of a longer table).
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or lines[0].startswith("No resources found"):
        return [], []
    header = lines[0]
    if header != header.upper():
        raise ValueError(f"not a kubectl table header: {header[:80]!r}")
    spans = [(m.start(), m.group()) for m in _HEADER_CELL.finditer(header)]
    starts = [start for start, _ in spans]
    rows = []
    for line in lines[1:]:
        cells = []
        for i, start in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else len(line)
            cells.append(line[start:end].strip())
        rows.append(cells)
    return [name for _, name in spans], rows
