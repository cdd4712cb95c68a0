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

Tables published side by side (district against sex, and destination country against sex, for
the same month and measure) share their totals row: the counts by sex and the grand total are
the same numbers in both. A totals cell hidden in one table but shown in the other is known, and
a cycle that ran through it no longer protects anything; and even with the same totals hidden
in both, the two tables' equations together can pin down what neither does alone. So
``suppress_together`` hides a totals cell in every table once one table hides it, closes each
table's cycles again, and then, when some totals cell is hidden, solves the tables' equations
together (exactly, over the rationals): while a hidden cell can be worked out, another cell next
to it is hidden.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

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


Cell = tuple[str, str]


def suppress(table: Table, threshold: int = THRESHOLD, hidden: Iterable[Cell] = ()) -> set[Cell]:
    """The cells of ``table`` (margins included) to leave out of the open data: those under
    ``threshold``, ``hidden`` (left out already), and their complements."""
    hidden = {cell for cell, count in table.cells.items() if count < threshold} | set(hidden)
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


def suppress_together(
    tables: Mapping[str, Table], threshold: int = THRESHOLD
) -> dict[str, set[Cell]]:
    """The cells to leave out of each of ``tables``, published side by side with the same
    totals row (``(TOTAL, column)``): none of them can be worked out from what all of them
    show."""
    hidden = {name: suppress(table, threshold) for name, table in tables.items()}
    while True:
        totals = {cell for cells in hidden.values() for cell in cells if cell[0] == TOTAL}
        closed = {
            name: suppress(table, threshold, hidden[name] | totals)
            for name, table in tables.items()
        }
        if closed != hidden:
            hidden = closed
            continue
        found = recoverable(tables, hidden) if totals else set()
        grown = False
        for name, cell in sorted(found):
            more = _next_to(tables[name], hidden[name], cell)
            if more is not None:
                hidden[name].add(more)
                grown = True
        if not grown:
            return hidden


def _next_to(table: Table, hidden: set[Cell], cell: Cell) -> Cell | None:
    """The smallest cell shown in ``cell``'s row or column (or anywhere): to hide next."""
    shown = [other for other in table.cells if other not in hidden]
    near = [other for other in shown if other[0] == cell[0] or other[1] == cell[1]]
    return min(near or shown, key=lambda other: (table.cells[other], other), default=None)


def recoverable(
    tables: Mapping[str, Table], hidden: Mapping[str, set[Cell]]
) -> set[tuple[str, Cell]]:
    """The hidden cells (``(table's name, cell)``) a reader can work out exactly from every
    cell the tables show: those whose unit vector lies in the span of the tables' equations
    (each row and column sums to its total) over the hidden cells, the totals row being one
    and the same in every table. A totals cell shown in any table is known."""

    def unknown(name: str, cell: Cell) -> bool:
        if cell[0] == TOTAL:
            return all(cell in cells for cells in hidden.values())
        return cell in hidden[name]

    def variable(name: str, cell: Cell) -> tuple:
        return (TOTAL, cell[1]) if cell[0] == TOTAL else (name, cell)

    owners: dict[tuple, tuple[str, Cell]] = {}
    for name, cells in sorted(hidden.items()):
        for cell in sorted(cells):
            if unknown(name, cell):
                owners.setdefault(variable(name, cell), (name, cell))
    index = {key: i for i, key in enumerate(sorted(owners, key=repr))}
    basis: list[tuple[int, list[Fraction]]] = []
    for name, table in tables.items():
        for equation in _equations(table):
            vector = [Fraction(0)] * len(index)
            for cell, sign in equation.items():
                if unknown(name, cell):
                    vector[index[variable(name, cell)]] += sign
            _add_to(basis, vector)
    return {
        owners[key]
        for key, i in index.items()
        if not any(_reduced(basis, [Fraction(int(j == i)) for j in range(len(index))]))
    }


def _equations(table: Table) -> list[dict[Cell, int]]:
    rows, columns = (*table.rows, TOTAL), (*table.columns, TOTAL)
    return [{(r, c): (-1 if c == TOTAL else 1) for c in columns} for r in rows] + [
        {(r, c): (-1 if r == TOTAL else 1) for r in rows} for c in columns
    ]


def _reduced(basis: list[tuple[int, list[Fraction]]], vector: list[Fraction]) -> list[Fraction]:
    for pivot, row in basis:
        if vector[pivot]:
            factor = vector[pivot]
            vector = [v - factor * r for v, r in zip(vector, row, strict=True)]
    return vector


def _add_to(basis: list[tuple[int, list[Fraction]]], vector: list[Fraction]) -> None:
    """Gaussian elimination, one equation at a time (rows kept reduced and pivot 1)."""
    vector = _reduced(basis, vector)
    pivot = next((j for j, v in enumerate(vector) if v), None)
    if pivot is None:
        return
    vector = [v / vector[pivot] for v in vector]
    for k, (other_pivot, row) in enumerate(basis):  # keep every row free of the new pivot
        if row[pivot]:
            factor = row[pivot]
            basis[k] = (other_pivot, [r - factor * v for r, v in zip(row, vector, strict=True)])
    basis.append((pivot, vector))


def published(table: Table, hidden: set[tuple[str, str]]) -> dict[tuple[str, str], int | None]:
    """The table as published: a hidden cell is None."""
    return {cell: (None if cell in hidden else count) for cell, count in table.cells.items()}
