"""One contract for the reporting repository, checked against the in-memory fake the unit tests
use and the real one on PostgreSQL: facts kept once, profiles by cycle, the figures joined and
counted by month, emptied for a rebuild."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from services.reporting import domain as d
from services.reporting.models import messaging
from services.reporting.repository import ReportingRepository
from tests.unit.fakes.reporting import FakeReportingRepository

SITI = d.WorkerProfile("w-siti", 1, "F", "35.05.12", "HK", "informal", "PT Maju Jaya")
BUDI = d.WorkerProfile("w-budi", 1, "M", "35.05.13", "MY", "formal", "PT Lain")


@pytest.fixture(params=["fake", "postgresql"])
def repository(request) -> Iterator:
    if request.param == "fake":
        yield FakeReportingRepository()
        return
    engine = create_engine(request.getfixturevalue("database_urls")["reporting"])
    with Session(engine) as session, session.begin():
        yield ReportingRepository(session)
    engine.dispose()


def fact(event_id, month, measure, worker_id, detail="", country=None) -> d.Fact:
    return d.Fact(event_id, month, measure, detail, worker_id, country)


def test_a_fact_is_kept_once_per_event_and_measure(repository):
    repository.add_facts([fact("e1", "2026-01", d.REGISTRATIONS, "w-siti")])
    repository.add_facts([fact("e1", "2026-01", d.REGISTRATIONS, "w-siti")])
    repository.add_facts(
        [
            fact("e2", "2026-02", d.PROGRAMME_COMPLETIONS, "w-siti", "p1"),
            fact("e2", "2026-02", d.BUSINESSES_STARTED, "w-siti", "p1"),
        ]
    )
    assert len(repository.snapshot()["facts"]) == 3


def test_figures_join_the_workers_profile_and_prefer_the_events_country(repository):
    repository.keep_profile(SITI)
    repository.keep_profile(BUDI)
    repository.add_facts(
        [
            fact("e1", "2026-01", d.REGISTRATIONS, "w-siti"),
            fact("e2", "2026-01", d.REGISTRATIONS, "w-budi"),
            fact("e3", "2026-03", d.DEPARTURES, "w-siti", country="SG"),
            fact("e4", "2026-03", d.RETURNS, "w-unknown", "deported"),
            fact("e5", "2026-05", d.RETURNS, "w-siti", "sick"),
        ]
    )
    figures = repository.figures("2026-01", "2026-03")
    assert [
        (f.month, f.measure, f.sex, f.district, f.country, f.sector, f.count) for f in figures
    ] == [
        ("2026-01", d.REGISTRATIONS, "F", "35.05.12", "HK", "informal", 1),
        ("2026-01", d.REGISTRATIONS, "M", "35.05.13", "MY", "formal", 1),
        ("2026-03", d.DEPARTURES, "F", "35.05.12", "SG", "informal", 1),
        ("2026-03", d.RETURNS, None, None, None, None, 1),
    ]
    assert repository.months() == ("2026-01", "2026-05")


def test_figures_band_the_age_by_each_fact_s_month_and_keep_the_village(repository):
    # born 2006: 19 in 2025, 20 in 2026, 45 in 2051; Budi registered before version 2
    siti = d.WorkerProfile(**{**vars(SITI), "birth_year": 2006})
    ani = d.WorkerProfile(
        **{**vars(SITI), "worker_id": "w-ani", "birth_year": 1981, "village": "35.05.12.2001"}
    )
    repository.keep_profiles([siti, ani])
    repository.keep_profile(BUDI)
    repository.add_facts(
        [
            fact("e1", "2025-12", d.REGISTRATIONS, "w-siti"),
            fact("e2", "2026-01", d.DEPARTURES, "w-siti"),
            fact("e3", "2051-01", d.RETURNS, "w-siti", "other"),
            fact("e4", "2026-01", d.REGISTRATIONS, "w-ani"),
            fact("e5", "2026-01", d.REGISTRATIONS, "w-budi"),
        ]
    )
    figures = repository.figures("2025-01", "2051-12")
    assert [(f.month, f.measure, f.age_band, f.village) for f in figures] == [
        ("2025-12", d.REGISTRATIONS, "<20", None),
        ("2026-01", d.DEPARTURES, "20-24", None),
        ("2026-01", d.REGISTRATIONS, "45+", "35.05.12.2001"),
        ("2026-01", d.REGISTRATIONS, None, None),  # version 1: no birth year, no village
        ("2051-01", d.RETURNS, "45+", None),
    ]


def test_a_profile_of_a_later_cycle_replaces_one_of_an_earlier_and_not_the_reverse(repository):
    later = d.WorkerProfile("w-siti", 2, "F", "35.05.12", "TW", "formal", "PT Baru")
    repository.keep_profile(later)
    repository.keep_profile(SITI)
    repository.add_facts([fact("e1", "2026-01", d.REGISTRATIONS, "w-siti")])
    (figure,) = repository.figures("2026-01", "2026-01")
    assert (figure.country, figure.company) == ("TW", "PT Baru")


def test_profiles_kept_together_keep_each_workers_latest_cycle_as_one_by_one_would(repository):
    later = d.WorkerProfile("w-siti", 2, "F", "35.05.12", "TW", "formal", "PT Baru")
    older_budi = d.WorkerProfile("w-budi", 0, "M", "35.05.13", "SG", "formal", "PT Tua")
    repository.keep_profile(BUDI)  # cycle 1 kept already: a page's cycle 0 does not replace it
    repository.keep_profiles([later, SITI, older_budi])
    repository.add_facts(
        [
            fact("e1", "2026-01", d.REGISTRATIONS, "w-siti"),
            fact("e2", "2026-01", d.REGISTRATIONS, "w-budi"),
        ]
    )
    assert [(f.sex, f.country, f.company) for f in repository.figures("2026-01", "2026-01")] == [
        ("F", "TW", "PT Baru"),
        ("M", "MY", "PT Lain"),
    ]
    repository.keep_profiles([])  # nothing to keep: no statement


def test_figures_count_several_facts_of_the_same_dimensions_together(repository):
    repository.keep_profile(SITI)
    repository.add_facts(
        [
            fact(f"e{n}", "2026-04", d.DOCUMENTS_REJECTED, "w-siti", "passport:blur")
            for n in range(7)
        ]
    )
    (figure,) = repository.figures("2026-04", "2026-04")
    assert (figure.detail, figure.count) == ("passport:blur", 7)


def test_figures_sum_the_quantity_of_a_measure_that_sums_one(repository):
    repository.keep_profile(SITI)
    sent = "registered:sms"
    repository.add_facts(
        [
            d.Fact(f"e{n}", "2026-04", measure, sent, "w-siti", None, quantity)
            for n, segments in enumerate((1, 2, 3))
            for measure, quantity in (
                (d.NOTIFICATIONS_SENT, 1),
                (d.NOTIFICATION_SEGMENTS, segments),
                (d.NOTIFICATION_COST, 350 * segments),
            )
        ]
    )
    counted = {f.measure: f.count for f in repository.figures("2026-04", "2026-04")}
    assert counted == {
        d.NOTIFICATIONS_SENT: 3,
        d.NOTIFICATION_SEGMENTS: 6,
        d.NOTIFICATION_COST: 2100,
    }


def test_a_case_s_clocks_are_merged_whatever_their_order_and_read_by_the_month_received(
    repository,
):
    received, act_by = (
        dt.datetime(2026, 3, 2, 2, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 5, 17, tzinfo=dt.UTC),
    )
    acted = dt.datetime(2026, 3, 4, 2, tzinfo=dt.UTC)
    repository.keep_case_clock(d.CaseClock("k-1", acted_at=acted + dt.timedelta(hours=1)))
    repository.keep_case_clock(d.CaseClock("k-1", "2026-03", received, act_by))
    repository.keep_case_clock(d.CaseClock("k-1", acted_at=acted))
    repository.keep_case_clock(d.CaseClock("k-2", "2026-04", received, act_by))
    assert repository.case_clocks("2026-03", "2026-03") == [
        d.CaseClock("k-1", "2026-03", received, act_by, acted)
    ]
    assert [c.case_id for c in repository.case_clocks("2026-01", "2026-12")] == ["k-1", "k-2"]


def test_programmes_are_kept_by_id_the_latest_name_standing(repository):
    repository.keep_programme(d.Programme("p2", "PAK CAMAT 2026", 2026))
    repository.keep_programme(d.Programme("p1", "PAK CAMAT 2025", 2025))
    repository.keep_programme(d.Programme("p1", "PAK CAMAT PMI 2025", 2025))
    assert repository.programmes() == [
        d.Programme("p1", "PAK CAMAT PMI 2025", 2025),
        d.Programme("p2", "PAK CAMAT 2026", 2026),
    ]


def test_clearing_empties_the_read_model(repository):
    repository.keep_profile(SITI)
    repository.keep_programme(d.Programme("p1", "PAK CAMAT", 2025))
    repository.add_facts([fact("e1", "2026-01", d.REGISTRATIONS, "w-siti")])
    repository.keep_case_clock(d.CaseClock("k-1", "2026-01"))
    repository.clear(messaging.inbox)
    assert repository.snapshot() == {
        "facts": [],
        "worker_profiles": [],
        "programmes": [],
        "case_clocks": [],
    }
    assert repository.months() == (None, None)
