"""The NIK (Nomor Induk Kependudukan), checked against the birth date and sex it encodes.

16 digits: province (2), regency (2), district (2) (codes of Kemendagri's list of regions,
`regions.py`), birth date DDMMYY with 40 added to the day for
women, then a sequence of 4 digits that is not 0000.
"""

from __future__ import annotations

import datetime as dt

from .regions import regions

# The provinces carved out of Papua in 2022 are not in the shipped list (``regions.csv``, see its
# source): a NIK of theirs is checked for its province, and its regency and district only for
# 00, until the list is updated with them (``python -m services.registration.regions``).
PROVINCES_NOT_LISTED = frozenset([93, 94, 95, 96, 97])
PROVINCE_CODES = frozenset(int(code) for code in regions().provinces) | PROVINCES_NOT_LISTED


def nik_problems(nik: str, birth_date: dt.date | None, sex: str | None) -> list[str]:
    """Every reason this NIK is not valid for that birth date and sex; empty when it is."""
    if not isinstance(nik, str) or len(nik) != 16 or not nik.isascii() or not nik.isdigit():
        return ["must be exactly 16 digits"]
    problems = []
    problems += _region_problems(nik[:2], nik[2:4], nik[4:6])
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    encoded_female = day > 40
    real_day = day - 40 if encoded_female else day
    if not 1 <= month <= 12:
        problems.append(f"birth month {month:02d} is not a month")
    elif not _is_calendar_day(real_day, month, year):
        problems.append(f"birth day {day:02d} is not a day of month {month:02d}")
    if nik[12:] == "0000":
        problems.append("sequence number must not be 0000")
    if problems:
        return problems
    if sex in ("F", "M") and encoded_female != (sex == "F"):
        problems.append(
            "the day encodes a woman (day + 40)"
            if encoded_female
            else "a woman's NIK has 40 added to the birth day"
        )
    if birth_date is not None and (
        real_day != birth_date.day or month != birth_date.month or year != birth_date.year % 100
    ):
        problems.append("does not match the birth date")
    return problems


def _region_problems(province: str, regency: str, district: str) -> list[str]:
    """The province, regency (kabupaten/kota) and district (kecamatan) must exist in
    Kemendagri's list of regions."""
    listed = regions()
    if int(province) not in PROVINCE_CODES:
        return [f"province code {province} is not an Indonesian province"]
    if not listed.covers(province):
        return [
            f"{level} code must not be 00"
            for level, code in (("regency", regency), ("district", district))
            if code == "00"
        ]
    if province + regency not in listed.regencies:
        return [
            f"regency code {province}.{regency} is not a regency or city of Indonesia "
            f"(Kemendagri list of {listed.as_of})"
        ]
    if province + regency + district not in listed.districts:
        return [
            f"district code {province}.{regency}.{district} is not a district of regency "
            f"{province}.{regency} (Kemendagri list of {listed.as_of})"
        ]
    return []


def _is_calendar_day(day: int, month: int, yy: int) -> bool:
    """A NIK's date carries no century: 29-02-00 is a day (of 2000, not of 1900); whether it is
    the person's birth date is another question, asked of the whole date."""
    for century in (1900, 2000):
        try:
            dt.date(century + yy, month, day)
        except ValueError:
            continue
        return True
    return False


def encode_nik(region: str, birth_date: dt.date, sex: str, sequence: int) -> str:
    """The NIK for a region (6 digits), birth date, sex and sequence: for tests and seed data."""
    day = birth_date.day + (40 if sex == "F" else 0)
    return f"{region}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{sequence:04d}"
