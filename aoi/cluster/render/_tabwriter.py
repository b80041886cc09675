"""A faithful port of Go's ``text/tabwriter`` alignment (left aligned, space padded, flags 0).

kubectl builds every table and every ``describe`` page by writing tab-separated cells into a tabwriter, so
alignment is not per-table but per *column block*: a run of consecutive lines that all have a tab-terminated
cell in that column. Re-implementing the algorithm (instead of padding columns ourselves) is what makes
details such as ``Events:  <none>`` lining up with the block above it, or the trailing blanks after an empty
last cell, come out exactly as kubectl prints them.

kubectl's parameters: ``get`` tables use minwidth 6, padding 3; ``describe`` uses minwidth 0, padding 2.
"""

from __future__ import annotations

TABLE_MINWIDTH = 6
TABLE_PADDING = 3
DESCRIBE_MINWIDTH = 0
DESCRIBE_PADDING = 2


def tabwrite(text: str, *, minwidth: int, padding: int) -> str:
    """Align ``text`` (cells separated by ``\\t``, lines by ``\\n``) like Go's tabwriter would.

    The last cell of a line (the text after its last tab) never takes part in a column, exactly as in Go.
    """
    lines = [line.split("\t") for line in text.split("\n")]
    out: list[str] = []
    widths: list[int] = []

    def write_lines(line0: int, line1: int) -> None:
        for i in range(line0, line1):
            line = lines[i]
            for j, cell in enumerate(line):
                out.append(cell)
                if j < len(widths):
                    out.append(" " * (widths[j] - len(cell)))
            if i + 1 != len(lines):
                out.append("\n")

    def format_block(line0: int, line1: int) -> None:
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            write_lines(line0, this)
            line0 = this
            width = minwidth
            while this < line1 and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + padding)
                this += 1
            widths.append(width)
            format_block(line0, this)
            widths.pop()
            line0 = this
        write_lines(line0, line1)

    format_block(0, len(lines))
    return "".join(out)
