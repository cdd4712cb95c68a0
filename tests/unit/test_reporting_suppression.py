"""The open data's small cells: every cell under 5 left out, and none left out that a reader
could work out by subtracting the published cells from the published totals."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from services.reporting import domain as d
from services.reporting.exports import open_data_rows
from services.reporting.suppression import TOTAL, suppress, table_of


def recoverable(table, hidden) -> set:
    """The hidden cells a reader can compute exactly from what is published: those whose unit
    vector lies in the span of the table's equations (each row and column sums to its total),
    written over the hidden cells only (Gaussian elimination over the rationals)."""
    unknowns = sorted(hidden)
    index = {cell: i for i, cell in enumerate(unknowns)}
    rows = [*table.rows, TOTAL]
    columns = [*table.columns, TOTAL]
    equations = []
    for r in rows:  # the cells of a row minus its total are 0
        equations.append({(r, c): (-1 if c == TOTAL else 1) for c in columns})
    for c in columns:
        equations.append({(r, c): (-1 if r == TOTAL else 1) for r in rows})
    matrix = []
    for equation in equations:
        vector = [Fraction(0)] * len(unknowns)
        for cell, sign in equation.items():
            if cell in index:
                vector[index[cell]] += sign
        if any(vector):
            matrix.append(vector)
    basis = _row_reduce(matrix)
    found = set()
    for cell, i in index.items():
        unit = [Fraction(int(j == i)) for j in range(len(unknowns))]
        if _in_span(basis, unit):
            found.add(cell)
    return found


def _row_reduce(matrix):
    basis = []  # (pivot column, row), reduced
    for vector in matrix:
        vector = _reduce(basis, vector)
        pivot = next((j for j, v in enumerate(vector) if v), None)
        if pivot is not None:
            scale = vector[pivot]
            basis.append((pivot, [v / scale for v in vector]))
    return basis


def _reduce(basis, vector):
    vector = list(vector)
    for pivot, row in basis:
        if vector[pivot]:
            factor = vector[pivot]
            vector = [v - factor * r for v, r in zip(vector, row, strict=True)]
    return vector


def _in_span(basis, vector) -> bool:
    return not any(_reduce(basis, vector))


def test_a_single_small_cell_in_a_row_takes_a_second_with_it():
    counts = {
        ("35.05.12", "F"): 3,
        ("35.05.12", "M"): 40,
        ("35.05.13", "F"): 50,
        ("35.05.13", "M"): 60,
    }
    table = table_of(counts, ["35.05.12", "35.05.13"], ["F", "M"])
    hidden = suppress(table)
    assert ("35.05.12", "F") in hidden
    assert len(hidden) >= 4  # a rectangle at least: the one small cell alone is a giveaway
    assert recoverable(table, hidden) == set()


def test_without_the_complement_the_small_cell_would_be_recovered_by_subtraction():
    counts = {("a", "F"): 3, ("a", "M"): 40, ("b", "F"): 50, ("b", "M"): 60}
    table = table_of(counts, ["a", "b"], ["F", "M"])
    assert recoverable(table, {("a", "F")}) == {("a", "F")}


def test_small_totals_are_left_out_too():
    counts = {("a", "F"): 1, ("a", "M"): 2, ("b", "F"): 30, ("b", "M"): 30}
    table = table_of(counts, ["a", "b"], ["F", "M"])
    hidden = suppress(table)
    assert ("a", TOTAL) in hidden
    assert all(table.cells[cell] >= 5 for cell in table.cells if cell not in hidden)
    assert recoverable(table, hidden) == set()


@pytest.mark.parametrize("seed", range(40))
def test_random_tables_keep_no_small_cell_and_no_recoverable_one(seed):
    rng = random.Random(seed)
    rows = [f"r{i}" for i in range(rng.randint(1, 6))]
    columns = [f"c{j}" for j in range(rng.randint(1, 4))]
    counts = {(r, c): rng.choice([0, 1, 2, 4, 5, 7, 12, 30, 3]) for r in rows for c in columns}
    table = table_of(counts, rows, columns)
    hidden = suppress(table)
    assert all(table.cells[cell] >= 5 for cell in table.cells if cell not in hidden)
    assert recoverable(table, hidden) == set()


def test_the_open_data_holds_counts_only_and_no_count_under_five():
    figures = [
        d.Figure(
            "2026-01",
            d.REGISTRATIONS,
            "",
            "F",
            None,
            "35.05.12",
            None,
            "HK",
            "informal",
            "PT Maju Jaya",
            3,
        ),
        d.Figure(
            "2026-01",
            d.REGISTRATIONS,
            "",
            "M",
            None,
            "35.05.12",
            None,
            "MY",
            "formal",
            "PT Maju Jaya",
            20,
        ),
        d.Figure(
            "2026-01",
            d.REGISTRATIONS,
            "",
            "F",
            None,
            "35.05.13",
            None,
            "HK",
            "informal",
            "PT Lain",
            30,
        ),
        d.Figure(
            "2026-01",
            d.REGISTRATIONS,
            "",
            "M",
            None,
            "35.05.13",
            None,
            "HK",
            "formal",
            "PT Lain",
            9,
        ),
    ]
    rows = open_data_rows(figures)
    assert rows and all(row["count"] is None or row["count"] >= 5 for row in rows)
    assert set(rows[0]) == {"month", "measure", "by", "value", "sex", "count", "suppressed"}
    assert not any("PT " in str(value) for row in rows for value in row.values())
    shown = {(r["by"], r["value"], r["sex"]): r["count"] for r in rows}
    assert shown[("district", "35.05.12", "F")] is None
    assert shown[("district", TOTAL, TOTAL)] == 62
