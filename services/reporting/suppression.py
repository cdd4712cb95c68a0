"""Small cells kept out of the open data, so that no one can be singled out, and kept out for
good: a suppressed cell may not be recovered by subtracting the others from a published total.

A table is published with its row totals, its column totals and the grand total. Seen with its
margins, every row (its cells and its total) and every column obeys one equation: the cells sum
to the total. A hidden cell can be worked out exactly when it is the only unknown of one of those
equations, or more generally when the hidden cells around it leave it no freedom. Drawn as a
graph whose vertices are the rows and columns and whose edges are the hidden cells, a hidden
cell is pinned down exactly when its edge lies on no cycle (a bridge): a cell on a cycle can be
traded against the others around it and the published figures stay the same.

So: first every cell (totals included) under the threshold is hidden (primary suppression);
then, while some hidden cell is a bridge, another cell is hidden (complementary suppression),
the smallest that closes a cycle through it, or failing that the smallest in its row or column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

THRESHOLD = 5  # cells under it are not published (counts from 0 to 4)
TOTAL = "total"


@dataclass(frozen=True)
class Table:
    """A count per (row, column) with its margins: ``cells[(row, column)]``, where ``row`` may
    be ``TOTAL`` (the column totals) and ``column`` may be ``TOTAL`` (the row totals)."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: Mapping[tuple[str, str], int]


def table_of(counts: Mapping[tuple[str, str], int], rows: Sequence[str], columns: Sequence[str]):
    """The table of ``counts`` over ``rows`` and ``columns`` (absent cells: 0) with margins."""
    cells = {(r, c): int(counts.get((r, c), 0)) for r in rows for c in columns}
    for r in rows:
        cells[(r, TOTAL)] = sum(cells[(r, c)] for c in columns)
    for c in columns:
        cells[(TOTAL, c)] = sum(cells[(r, c)] for r in rows)
    cells[(TOTAL, TOTAL)] = sum(cells[(r, TOTAL)] for r in rows)
    return Table(tuple(rows), tuple(columns), cells)


def suppress(table: Table, threshold: int = THRESHOLD) -> set[tuple[str, str]]:
    """The cells of ``table`` (margins included) to leave out of the open data."""
    hidden = {cell for cell, count in table.cells.items() if count < threshold}
    while True:
        bridge = _a_bridge(hidden)
        if bridge is None or len(hidden) == len(table.cells):
            return hidden  # (all hidden: a table of one line, which nothing can protect else)
        hidden.add(_complement(table, hidden, bridge))


def _lines(cell: tuple[str, str]) -> tuple[tuple[str, str], tuple[str, str]]:
    return ("row", cell[0]), ("column", cell[1])


def _a_bridge(hidden: set[tuple[str, str]]) -> tuple[str, str] | None:
    for cell in sorted(hidden):
        row, column = _lines(cell)
        if column not in _reachable(row, hidden - {cell}):
            return cell
    return None


def _reachable(start: tuple[str, str], edges: Iterable[tuple[str, str]]) -> set:
    around: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for cell in edges:
        row, column = _lines(cell)
        around.setdefault(row, []).append(column)
        around.setdefault(column, []).append(row)
    seen, todo = {start}, [start]
    while todo:
        for other in around.get(todo.pop(), ()):
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return seen


def _complement(table: Table, hidden: set[tuple[str, str]], bridge: tuple[str, str]):
    """The next cell to hide so that ``bridge`` is no longer pinned down."""
    row, column = _lines(bridge)
    rest = hidden - {bridge}
    near_row, near_column = _reachable(row, rest), _reachable(column, rest)
    all_rows = (*table.rows, TOTAL)
    all_columns = (*table.columns, TOTAL)
    shown = [cell for cell in table.cells if cell not in hidden]
    # a cell joining the column's side (a row there) to the row's side (a column there)
    closing = [
        (r, c) for (r, c) in shown if ("row", r) in near_column and ("column", c) in near_row
    ]
    if not closing:  # extend the row's side or the column's side by one cell
        closing = [(r, c) for (r, c) in shown if (r == bridge[0] or c == bridge[1])] or [
            (r, c) for r in all_rows for c in all_columns if (r, c) not in hidden
        ]
    return min(closing, key=lambda cell: (table.cells[cell], cell))


def published(table: Table, hidden: set[tuple[str, str]]) -> dict[tuple[str, str], int | None]:
    """The table as published: a hidden cell is None."""
    return {cell: (None if cell in hidden else count) for cell, count in table.cells.items()}
