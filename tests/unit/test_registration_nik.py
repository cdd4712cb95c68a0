"""NIK rules, with property-based tests over valid and broken numbers."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from services.registration.nik import PROVINCE_CODES, encode_nik, nik_problems
from services.registration.regions import regions

birth_dates = st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2007, 12, 31))
sexes = st.sampled_from(["F", "M"])
LISTED = regions()
districts = st.sampled_from(sorted(LISTED.districts))
sequences = st.integers(1, 9999)


@given(districts, birth_dates, sexes, sequences)
def test_a_nik_encoding_the_birth_date_and_sex_is_valid(region, birth, sex, sequence):
    assert nik_problems(encode_nik(region, birth, sex, sequence), birth, sex) == []


@given(districts, birth_dates, sequences)
def test_a_womans_nik_without_forty_added_is_refused(region, birth, sequence):
    nik = encode_nik(region, birth, "M", sequence)
    assert any("40" in p for p in nik_problems(nik, birth, "F"))


@given(districts, birth_dates, sexes, sequences, st.integers(1, 3000))
def test_a_nik_for_another_birth_date_is_refused(region, birth, sex, sequence, shift):
    other = birth + dt.timedelta(days=shift)
    nik = encode_nik(region, other, sex, sequence)
    if (other.day, other.month, other.year % 100) != (birth.day, birth.month, birth.year % 100):
        assert "does not match the birth date" in nik_problems(nik, birth, sex)


def test_the_29th_of_february_of_a_year_00_is_a_day_of_2000():
    """A NIK holds no century: 29-02-00 is a day (2000 was a leap year), and for a woman born in
    1999 it is a NIK of another birth date, not a NIK with no date in it."""
    nik = encode_nik("110101", dt.date(2000, 2, 29), "F", 1)
    assert nik_problems(nik, dt.date(1999, 5, 1), "F") == ["does not match the birth date"]
    assert nik_problems(nik, dt.date(2000, 2, 29), "F") == []
    assert nik_problems(nik.replace("6902", "7002"), None, "F") == [
        "birth day 70 is not a day of month 02"
    ]


@given(districts, birth_dates, sexes)
def test_sequence_0000_is_refused(region, birth, sex):
    nik = encode_nik(region, birth, sex, 1)[:12] + "0000"
    assert "sequence number must not be 0000" in nik_problems(nik, birth, sex)


@given(st.text(max_size=20).filter(lambda s: not (len(s) == 16 and s.isdigit())))
def test_anything_but_sixteen_digits_is_refused(text):
    assert nik_problems(text, None, None) == ["must be exactly 16 digits"]


@given(st.integers(0, 99).filter(lambda p: p not in PROVINCE_CODES), birth_dates, sexes)
def test_a_province_code_outside_indonesia_is_refused(province, birth, sex):
    nik = encode_nik(f"{province:02d}0101", birth, sex, 7)
    assert any("province code" in p for p in nik_problems(nik, birth, sex))


def test_an_impossible_calendar_day_is_refused():
    assert "birth day 31 is not a day of month 02" in nik_problems("3505123102900001", None, None)
    assert "birth month 13 is not a month" in nik_problems("3505121513900001", None, None)
    assert "birth day 71 is not a day of month 02" in nik_problems("3505127102900001", None, "F")


def test_non_ascii_digits_are_refused():
    full_width = "３５０５１２４５０１９００００１"
    assert nik_problems(full_width, None, None) == ["must be exactly 16 digits"]


def test_the_region_list_says_where_it_comes_from_and_holds_blitar():
    assert "Kemendagri" in LISTED.source and LISTED.as_of[:2] == "20"
    listed = LISTED.provinces | LISTED.regencies | LISTED.districts
    assert {"35", "3505", "350512", "3572"} <= listed
    assert len(LISTED.regencies) >= 514 and len(LISTED.districts) >= 7230


def test_a_regency_that_does_not_exist_is_refused():
    problems = nik_problems(encode_nik("359912", dt.date(1994, 3, 17), "F", 1), None, "F")
    assert problems == [
        "regency code 35.99 is not a regency or city of Indonesia "
        f"(Kemendagri list of {LISTED.as_of})"
    ]


def test_a_district_that_does_not_exist_in_its_regency_is_refused():
    # Kabupaten Blitar has 22 districts
    problems = nik_problems(encode_nik("350523", dt.date(1994, 3, 17), "M", 1), None, "M")
    assert problems == [
        "district code 35.05.23 is not a district of regency 35.05 "
        f"(Kemendagri list of {LISTED.as_of})"
    ]


@given(
    st.sampled_from(sorted(PROVINCE_CODES - {int(p) for p in LISTED.provinces})),
    st.integers(1, 99),
    st.integers(1, 99),
    birth_dates,
    sexes,
)
def test_a_province_the_list_does_not_hold_yet_is_checked_only_for_zero_codes(
    province, regency, district, birth, sex
):
    region = f"{province:02d}{regency:02d}{district:02d}"
    assert nik_problems(encode_nik(region, birth, sex, 9), birth, sex) == []
    zero = encode_nik(f"{province:02d}00{district:02d}", birth, sex, 9)
    assert nik_problems(zero, birth, sex) == ["regency code must not be 00"]
