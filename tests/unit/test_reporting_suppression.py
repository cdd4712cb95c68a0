"""The open data's small cells: every cell under 5 left out, and none left out that a reader
could work out by subtracting the published cells from the published totals."""

from __future__ import annotations

import random
from collections import Counter
from fractions import Fraction

import pytest

from services.reporting import domain as d
from services.reporting.exports import open_data_rows
from services.reporting.suppression import TOTAL, suppress, suppress_together, table_of


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


def recoverable_together(tables, hidden) -> set:
    """As ``recoverable``, for tables published side by side whose totals row is the same
    numbers: a totals cell shown in any of them is known to the reader."""

    def unknown(name, cell):
        if cell[0] == TOTAL:
            return all(cell in cells for cells in hidden.values())
        return cell in hidden[name]

    def variable(name, cell):
        return ("totals", cell[1]) if cell[0] == TOTAL else (name, *cell)

    unknowns = sorted(
        {
            variable(name, cell)
            for name, cells in hidden.items()
            for cell in cells
            if unknown(name, cell)
        }
    )
    index = {v: i for i, v in enumerate(unknowns)}
    matrix = []
    for name, table in tables.items():
        rows = [*table.rows, TOTAL]
        columns = [*table.columns, TOTAL]
        equations = [{(r, c): (-1 if c == TOTAL else 1) for c in columns} for r in rows]
        equations += [{(r, c): (-1 if r == TOTAL else 1) for r in rows} for c in columns]
        for equation in equations:
            vector = [Fraction(0)] * len(unknowns)
            for cell, sign in equation.items():
                if unknown(name, cell):
                    vector[index[variable(name, cell)]] += sign
            if any(vector):
                matrix.append(vector)
    basis = _row_reduce(matrix)
    return {
        v
        for v, i in index.items()
        if _in_span(basis, [Fraction(int(j == i)) for j in range(len(unknowns))])
    }


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


def test_the_open_data_sums_the_village_and_the_age_band_out():
    figures = [
        d.Figure(
            "2026-01",
            d.REGISTRATIONS,
            "",
            sex,
            band,
            "35.05.12",
            village,
            "HK",
            "informal",
            "PT Maju Jaya",
            count,
        )
        for sex, band, village, count in (
            ("F", "20-24", "35.05.12.2001", 6),
            ("F", "25-29", "35.05.12.2002", 7),
            ("M", "20-24", "35.05.12.2001", 8),
            ("M", "<20", None, 9),
        )
    ]
    rows = open_data_rows(figures)
    assert {row["by"] for row in rows} == {"district", "country"}
    text = " ".join(str(value) for row in rows for value in row.values())
    assert "35.05.12.20" not in text and "20-24" not in text and "<20" not in text
    shown = {(r["by"], r["value"], r["sex"]): r["count"] for r in rows}
    assert (shown[("district", "35.05.12", "F")], shown[("district", "35.05.12", "M")]) == (13, 17)


# two tables side by side: the same totals by sex ----------------------------------------------

SEXES = ["F", "M", "unknown"]
# one month's counts of one measure, by district and by destination country, against sex (the
# "unknown" row and column: figures of no known worker); found by a search of random months
BY_DISTRICT = {
    ("35.05.01", "F"): 8,
    ("35.05.01", "M"): 6,
    ("35.05.01", "unknown"): 10,
    ("unknown", "F"): 7,
    ("unknown", "M"): 1,
    ("unknown", "unknown"): 3,
}
BY_COUNTRY = {
    ("HK", "F"): 2,
    ("HK", "M"): 2,
    ("HK", "unknown"): 2,
    ("MY", "F"): 6,
    ("MY", "unknown"): 2,
    ("SG", "F"): 2,
    ("SG", "M"): 3,
    ("SG", "unknown"): 4,
    ("TW", "F"): 3,
    ("TW", "M"): 2,
    ("TW", "unknown"): 4,
    ("unknown", "F"): 2,
    ("unknown", "unknown"): 1,
}


def side_by_side(by_district, by_country):
    return {
        "district": table_of(by_district, sorted({v for v, _ in by_district}), SEXES),
        "country": table_of(by_country, sorted({v for v, _ in by_country}), SEXES),
    }


def test_each_table_safe_alone_gives_a_small_cell_away_beside_the_other():
    tables = side_by_side(BY_DISTRICT, BY_COUNTRY)
    alone = {name: suppress(table) for name, table in tables.items()}
    assert all(recoverable(tables[name], alone[name]) == set() for name in tables)
    # the district table hides the men's and the unknown sex's totals to protect its small
    # cells; the country table shows them (7 and 13): subtracting gives the 3 away
    assert (TOTAL, "M") in alone["district"] and (TOTAL, "M") not in alone["country"]
    assert recoverable_together(tables, alone) == {("district", "unknown", "unknown")}
    assert tables["district"].cells[("unknown", "unknown")] == 3


def test_suppressed_together_no_hidden_cell_can_be_worked_out_from_both_tables():
    tables = side_by_side(BY_DISTRICT, BY_COUNTRY)
    hidden = suppress_together(tables)
    assert recoverable_together(tables, hidden) == set()
    totals = [{cell for cell in cells if cell[0] == TOTAL} for cells in hidden.values()]
    assert totals[0] == totals[1]  # a totals cell is hidden in both or in neither
    for name, table in tables.items():
        assert all(table.cells[cell] >= 5 for cell in table.cells if cell not in hidden[name])


# the first 60, and those of the next 1,500 where each table suppressed alone gives one away
@pytest.mark.parametrize("seed", [*range(60), 692, 730, 1077, 1131, 1209, 1229, 1264, 1374])
def test_random_months_suppressed_together_keep_no_small_cell_and_no_recoverable_one(seed):
    rng = random.Random(seed)
    districts = ["35.05.01", "35.05.12", "35.05.20"][: rng.randint(1, 3)]
    countries = ["HK", "TW", "MY", "SG"][: rng.randint(1, 4)]
    by_district, by_country = Counter(), Counter()
    for _ in range(rng.randint(5, 40)):  # people, each counted once in each table
        sex = rng.choice(["F", "F", "M", "unknown"])
        district = "unknown" if rng.random() < 0.4 else rng.choice(districts)
        country = "unknown" if rng.random() < 0.2 else rng.choice(countries)
        by_district[(district, sex)] += 1
        by_country[(country, sex)] += 1
    tables = side_by_side(by_district, by_country)
    hidden = suppress_together(tables)
    for name, table in tables.items():
        assert all(table.cells[cell] >= 5 for cell in table.cells if cell not in hidden[name])
    assert recoverable_together(tables, hidden) == set()


def test_the_open_data_hides_a_total_by_sex_in_both_tables_or_in_neither():
    # the month's returns, person by person: the district and the country of each, by sex
    figures = []
    for sex in SEXES:
        districts = [v for (v, s), n in sorted(BY_DISTRICT.items()) if s == sex for _ in range(n)]
        countries = [v for (v, s), n in sorted(BY_COUNTRY.items()) if s == sex for _ in range(n)]
        for district, country in zip(districts, countries, strict=True):
            figures.append(
                d.Figure(
                    "2026-03",
                    d.RETURNS,
                    "sick",
                    None if sex == "unknown" else sex,
                    None,
                    None if district == "unknown" else district,
                    None,
                    None if country == "unknown" else country,
                    "formal",
                    "PT A",
                    1,
                )
            )
    rows = open_data_rows(figures)
    shown = {(r["by"], r["value"], r["sex"]): r["count"] for r in rows}
    for sex in (*SEXES, TOTAL):
        assert (shown[("district", TOTAL, sex)] is None) == (
            shown[("country", TOTAL, sex)] is None
        ), sex
    assert shown[("district", "unknown", "unknown")] is None
