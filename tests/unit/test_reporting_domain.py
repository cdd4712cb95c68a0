"""What each lifecycle event counts for in the planning office's monthly figures, in which
month, and along which dimensions; the handler over the in-memory repository."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from pmi_common import contract as c
from pmi_common.events import Event, parse_event
from pmi_common.workdays import working_hours_between
from services.reporting import domain as d
from services.reporting import exports
from services.reporting.handlers import EVENTS, apply, monthly
from tests.events import envelope
from tests.unit.fakes.reporting import FakeReportingRepository

WIB = ZoneInfo("Asia/Jakarta")
WORKER = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
REGISTERED = {
    "nik_masked": "350512******0001",
    "nik_digest": "d" * 64,
    "full_name": "Siti Aminah",
    "sex": "F",
    "regency": "Blitar",
    "destination_country": "HK",
    "occupation": "Domestic worker",
    "placement_agency": "PT Maju Jaya",
    "cycle": 1,
}


class Uow:
    def __init__(self, repository):
        self.repository = repository


def event(event_type, data, at, worker_id=WORKER) -> Event:
    return Event(
        event_id=str(uuid.uuid4()),
        event_type=event_type,
        event_version=1,
        occurred_at=at,
        source=c.spec_for(event_type).source,
        worker_id=worker_id,
        sequence=1,
        correlation_id="test",
        actor=None,
        data=data,
    )


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def test_the_month_is_the_districts_a_moment_after_midnight_wib_is_the_next_month():
    # 31 January 17:30 UTC is 1 February 00:30 in Blitar (WIB, UTC+7)
    assert d.month_of(utc(2026, 1, 31, 17, 30)) == "2026-02"
    assert d.month_of(utc(2026, 1, 31, 16, 59)) == "2026-01"


def test_the_district_is_the_region_code_of_the_masked_nik_and_no_name_is_kept():
    profile = d.profile_of(WORKER, REGISTERED)
    assert profile.district == "35.05.12"
    assert profile.sector == "informal"  # a domestic worker works for a household
    assert profile.sex == "F" and profile.company == "PT Maju Jaya"
    assert "Siti" not in repr(profile) and "350512" not in repr(profile)
    assert d.district_of("not a nik") is None


def test_a_late_event_lands_in_its_own_month_whatever_the_order_it_arrives_in():
    repository = FakeReportingRepository()
    uow = Uow(repository)
    # the return of March arrives before the registration of January
    apply(
        uow,
        event(
            c.WORKER_RETURNED,
            {"returned_on": "2026-03-02", "reason": "deported", "cycle": 1},
            utc(2026, 3, 2, 3),
        ),
    )
    apply(uow, event(c.WORKER_REGISTERED, REGISTERED, utc(2026, 1, 10, 3)))
    figures = repository.figures("2026-01", "2026-12")
    by_measure = {(f.month, f.measure, f.detail): f for f in figures}
    returned = by_measure[("2026-03", d.RETURNS, "deported")]
    assert returned.count == 1
    # counted by the worker's registration though it was heard first
    assert (returned.sex, returned.district, returned.country) == ("F", "35.05.12", "HK")
    assert by_measure[("2026-01", d.REGISTRATIONS, "")].count == 1


def test_an_event_heard_twice_is_counted_once():
    repository = FakeReportingRepository()
    registered = event(c.WORKER_REGISTERED, REGISTERED, utc(2026, 1, 10, 3))
    apply(Uow(repository), registered)
    apply(Uow(repository), registered)
    assert [f.count for f in repository.figures("2026-01", "2026-01")] == [1]


def test_the_departures_country_is_the_one_the_departure_names():
    repository = FakeReportingRepository()
    uow = Uow(repository)
    apply(uow, event(c.WORKER_REGISTERED, REGISTERED, utc(2026, 1, 10, 3)))
    apply(
        uow,
        event(
            c.WORKER_DEPARTED,
            {"departed_on": "2026-02-01", "destination_country": "TW", "employer": "X", "cycle": 1},
            utc(2026, 2, 1),
        ),
    )
    departed = [f for f in repository.figures("2026-02", "2026-02") if f.measure == d.DEPARTURES]
    assert [(f.country, f.count) for f in departed] == [("TW", 1)]


def test_status_changes_count_clearances_and_withdrawals_only():
    def status(to_status):
        return {
            "from_status": "registered",
            "to_status": to_status,
            "stage": "pre_departure",
            "reason": "x",
            "cycle": 1,
        }

    assert (
        d.reading_of(
            c.WORKER_STATUS_CHANGED, "e", utc(2026, 1, 1), WORKER, status("documents_verified")
        ).facts
        == ()
    )
    cleared = d.reading_of(
        c.WORKER_STATUS_CHANGED, "e", utc(2026, 1, 1), WORKER, status("cleared_for_departure")
    )
    assert [f.measure for f in cleared.facts] == [d.CLEARANCES]
    withdrawn = d.reading_of(
        c.WORKER_STATUS_CHANGED, "e", utc(2026, 1, 1), WORKER, status("withdrawn")
    )
    assert [f.measure for f in withdrawn.facts] == [d.WITHDRAWALS]


def test_a_rejection_is_counted_by_type_and_reason_with_any_nik_in_the_reason_masked():
    reading = d.reading_of(
        c.DOCUMENT_REJECTED,
        "e",
        utc(2026, 1, 1),
        WORKER,
        {
            "document_id": "x",
            "document_type": "passport",
            "checklist_complete": False,
            "reason": "NIK 3505124101900001 tidak cocok",
        },
    )
    (fact,) = reading.facts
    assert fact.detail.startswith("passport:NIK ")
    assert "3505124101900001" not in fact.detail


def test_a_completion_counts_the_business_and_the_award_as_facts_of_their_own():
    reading = d.reading_of(
        c.REINTEGRATION_COMPLETED,
        "e",
        utc(2026, 6, 1),
        WORKER,
        {
            "program_id": "p1",
            "participant_kind": "returnee",
            "business_started": True,
            "business_name": "Warung",
            "sector": "food",
            "regency": "Blitar",
            "awarded": False,
        },
    )
    assert [f.measure for f in reading.facts] == [d.PROGRAMME_COMPLETIONS, d.BUSINESSES_STARTED]


def test_pak_camat_funnel_per_programme_and_its_year():
    repository = FakeReportingRepository()
    uow = Uow(repository)
    apply(
        uow,
        event(
            c.PROGRAM_CREATED,
            {
                "program_id": "p1",
                "name": "PAK CAMAT 2026",
                "audience": "both",
                "capacity": 100,
                "starts_on": dt.date(2026, 3, 1),
                "rounds": [{"name": "BMC", "advance": 75}],
            },
            utc(2026, 2, 1),
            worker_id=None,
        ),
    )
    for n in range(3):
        worker = f"w{n}"
        apply(
            uow,
            event(
                c.REINTEGRATION_ENROLLED,
                {"program_id": "p1", "participant_kind": "prospective"},
                utc(2026, 3, 1),
                worker,
            ),
        )
        apply(
            uow,
            event(
                c.REINTEGRATION_ROUND_RECORDED,
                {
                    "program_id": "p1",
                    "round": 1,
                    "advanced": n < 2,
                    "score": None,
                    "participant_kind": "prospective",
                },
                utc(2026, 4, 1),
                worker,
            ),
        )
    answer = monthly(repository, {"from": "2026-01", "to": "2026-12"})
    (funnel,) = answer["programmes"]
    assert (funnel["year"], funnel["enrolled"], funnel["advanced"]) == (
        2026,
        3,
        [{"round": 1, "count": 2}],
    )
    pak_camat = [i for i in answer["innovations"] if i["innovation"] == d.PAK_CAMAT]
    assert {i["month"]: i["figures"][d.PROGRAMME_ENROLMENTS] for i in pak_camat}["2026-03"] == 3


def test_follow_ups_are_counted_per_programme_and_months_with_the_income_bands():
    repository = FakeReportingRepository()
    uow = Uow(repository)
    apply(
        uow,
        event(
            c.PROGRAM_CREATED,
            {
                "program_id": "p1",
                "name": "PAK CAMAT 2026",
                "audience": "returnee",
                "capacity": 10,
                "starts_on": dt.date(2026, 3, 1),
                "rounds": [{"name": "pitch", "advance": 3}],
            },
            utc(2026, 2, 1),
            worker_id=None,
        ),
    )
    found = [  # (months, running, income band, migrated again)
        (6, True, "1m_to_3m", False),
        (6, True, "3m_to_5m", False),
        (6, False, "none", True),
        (12, True, "1m_to_3m", False),
    ]
    for n, (months, running, band, migrated) in enumerate(found):
        apply(
            uow,
            event(
                c.REINTEGRATION_FOLLOWED_UP,
                {
                    "program_id": "p1",
                    "participant_kind": "returnee",
                    "months": months,
                    "business_running": running,
                    "income_band": band,
                    "migrated_again": migrated,
                },
                utc(2027, months - 5, 10),
                f"w{n}",
            ),
        )
    (funnel,) = monthly(repository, {"from": "2026-01", "to": "2027-12"})["programmes"]
    six, twelve = funnel["follow_ups"]
    assert (six["months"], six["recorded"], six["business_running"], six["migrated_again"]) == (
        6,
        3,
        2,
        1,
    )
    assert six["income_bands"] == {
        "none": 1,
        "under_1m": 0,
        "1m_to_3m": 1,
        "3m_to_5m": 1,
        "over_5m": 0,
    }
    assert (twelve["recorded"], twelve["business_running"], twelve["migrated_again"]) == (1, 1, 0)


def test_letters_issued_are_counted_by_type_and_as_what_go_tki_served():
    repository = FakeReportingRepository()
    uow = Uow(repository)
    apply(uow, event(c.WORKER_REGISTERED, REGISTERED, utc(2026, 1, 5)))
    for letter_type, day in (
        ("family_permission", utc(2026, 1, 31, 17, 30)),  # 1 February in Blitar
        ("passport_recommendation", utc(2026, 2, 3)),
        ("passport_recommendation", utc(2026, 2, 4)),
    ):
        apply(
            uow,
            event(
                c.LETTER_ISSUED,
                {
                    "letter_id": str(uuid.uuid4()),
                    "letter_type": letter_type,
                    "number": "474/001/35.05/2026",
                    "issued_on": day.date(),
                },
                day,
            ),
        )
    answer = monthly(repository, {"from": "2026-01", "to": "2026-02"})
    issued = {
        (f["month"], f["detail"], f["sex"]): f["count"]
        for f in answer["figures"]
        if f["measure"] == d.LETTERS_ISSUED
    }
    assert issued == {
        ("2026-02", "family_permission", "F"): 1,
        ("2026-02", "passport_recommendation", "F"): 2,
    }
    go_tki = {
        i["month"]: i["figures"][d.LETTERS_ISSUED]
        for i in answer["innovations"]
        if i["innovation"] == d.GO_TKI
    }
    assert go_tki == {"2026-01": 0, "2026-02": 3}


def test_the_planning_office_s_age_bands():
    bands = {age: d.age_band(age) for age in (18, 19, 20, 24, 25, 29, 30, 39, 40, 44, 45, 61)}
    assert bands == {
        18: "<20",
        19: "<20",
        20: "20-24",
        24: "20-24",
        25: "25-29",
        29: "25-29",
        30: "30-34",
        39: "35-39",
        40: "40-44",
        44: "40-44",
        45: "45+",
        61: "45+",
    }
    assert d.age_band_in("2026-01", 2006) == "20-24"  # the age reached in 2026: 20
    assert d.age_band_in("2025-12", 2006) == "<20"
    assert d.age_band_in("2026-01", None) is None


def heard(event_type, data, at, version=None) -> Event:
    """An event as the service hears it: ``version`` of the contract, parsed by its schema."""
    body = envelope(event_type, WORKER, data, version=version, occurred_at=at.isoformat())
    return parse_event(body)


DEPARTED = {"departed_on": "2026-01-20", "destination_country": "HK", "employer": "X", "cycle": 1}


def test_a_registration_of_version_2_gives_each_month_s_age_band_and_the_village():
    repository = FakeReportingRepository()
    uow = Uow(repository)
    registered = {**REGISTERED, "birth_year": 2006, "village_code": "35.05.12.2001"}
    apply(uow, heard(c.WORKER_REGISTERED, registered, utc(2025, 11, 3), version=2))
    apply(uow, heard(c.WORKER_DEPARTED, DEPARTED, utc(2026, 1, 20)))
    figures = repository.figures("2025-01", "2026-12")
    assert [(f.month, f.measure, f.age_band, f.village) for f in figures] == [
        ("2025-11", d.REGISTRATIONS, "<20", "35.05.12.2001"),  # 19 in 2025
        ("2026-01", d.DEPARTURES, "20-24", "35.05.12.2001"),  # 20 in 2026: the fact's band
    ]
    profile = repository.profiles[WORKER]
    assert profile.birth_year == 2006 and "birth_date" not in vars(profile)


def test_a_registration_of_version_2_naming_no_village_has_an_age_band_and_no_village():
    repository = FakeReportingRepository()
    registered = {**REGISTERED, "birth_year": 1980, "village_code": None}
    apply(Uow(repository), heard(c.WORKER_REGISTERED, registered, utc(2026, 3, 3), version=2))
    (figure,) = repository.figures("2026-03", "2026-03")
    assert (figure.age_band, figure.village, figure.district) == ("45+", None, "35.05.12")


def test_a_registration_from_the_history_version_1_leaves_age_band_and_village_empty():
    repository = FakeReportingRepository()
    uow = Uow(repository)
    apply(uow, heard(c.WORKER_REGISTERED, REGISTERED, utc(2025, 11, 3), version=1))
    apply(uow, heard(c.WORKER_DEPARTED, DEPARTED, utc(2026, 1, 20)))
    figures = repository.figures("2025-01", "2026-12")
    assert [(f.measure, f.sex, f.district, f.age_band, f.village) for f in figures] == [
        (d.REGISTRATIONS, "F", "35.05.12", None, None),
        (d.DEPARTURES, "F", "35.05.12", None, None),
    ]


def test_a_later_registration_cycle_replaces_the_profile_and_an_older_heard_late_does_not():
    repository = FakeReportingRepository()
    uow = Uow(repository)
    apply(
        uow,
        event(
            c.WORKER_REGISTERED,
            {**REGISTERED, "cycle": 2, "destination_country": "TW"},
            utc(2027, 1, 1),
        ),
    )
    apply(uow, event(c.WORKER_REGISTERED, REGISTERED, utc(2026, 1, 1)))
    assert repository.profiles[WORKER].country == "TW"


def test_the_reporting_service_hears_every_event_it_counts():
    assert set(EVENTS) >= {
        c.WORKER_REGISTERED,
        c.WORKER_STATUS_CHANGED,
        c.WORKER_DEPARTED,
        c.WORKER_RETURNED,
        c.WORKER_DIED,
        c.DOCUMENT_REJECTED,
        c.SESSION_SCHEDULED,
        c.ORIENTATION_COMPLETED,
        c.PROGRAM_CREATED,
        c.REINTEGRATION_ENROLLED,
        c.REINTEGRATION_COMPLETED,
        c.REINTEGRATION_FOLLOWED_UP,
        c.LETTER_ISSUED,
        c.CASE_OPENED,
        c.CASE_RESOLVED,
        c.CASE_OUTCOME_RECORDED,
    }


def test_notifications_sent_are_counted_by_kind_and_channel_with_their_segments_and_cost():
    repository = FakeReportingRepository()
    uow = Uow(repository)
    apply(uow, event(c.WORKER_REGISTERED, REGISTERED, utc(2026, 1, 5)))
    for kind, channel, segments, cost, at in (
        ("registered", "sms", 2, 700, utc(2026, 1, 5, 3)),
        ("registered", "sms", 1, 350, utc(2026, 1, 31, 18)),  # 1 February in Blitar
        ("session_reminder", "sms", 1, 350, utc(2026, 2, 2)),
        ("session_reminder", "whatsapp", 3, 200, utc(2026, 2, 2)),  # per message, not segment
    ):
        data = {"kind": kind, "channel": channel, "segments": segments, "cost_rupiah": cost}
        apply(uow, event(c.NOTIFICATION_SENT, data, at))
    answer = monthly(repository, {"from": "2026-01", "to": "2026-02"})
    sent = {
        (f["month"], f["measure"], f["detail"]): f["count"]
        for f in answer["figures"]
        if f["measure"] in (d.NOTIFICATIONS_SENT, d.NOTIFICATION_SEGMENTS, d.NOTIFICATION_COST)
    }
    assert sent == {
        ("2026-01", d.NOTIFICATIONS_SENT, "registered:sms"): 1,
        ("2026-01", d.NOTIFICATION_SEGMENTS, "registered:sms"): 2,
        ("2026-01", d.NOTIFICATION_COST, "registered:sms"): 700,
        ("2026-02", d.NOTIFICATIONS_SENT, "registered:sms"): 1,
        ("2026-02", d.NOTIFICATION_SEGMENTS, "registered:sms"): 1,
        ("2026-02", d.NOTIFICATION_COST, "registered:sms"): 350,
        ("2026-02", d.NOTIFICATIONS_SENT, "session_reminder:sms"): 1,
        ("2026-02", d.NOTIFICATION_SEGMENTS, "session_reminder:sms"): 1,
        ("2026-02", d.NOTIFICATION_COST, "session_reminder:sms"): 350,
        ("2026-02", d.NOTIFICATIONS_SENT, "session_reminder:whatsapp"): 1,
        ("2026-02", d.NOTIFICATION_SEGMENTS, "session_reminder:whatsapp"): 3,
        ("2026-02", d.NOTIFICATION_COST, "session_reminder:whatsapp"): 200,
    }
    # the open data counts people and events: the segments and the rupiah are not in it
    figures = d.figures_of(repository.facts.values(), repository.profiles, "2026-01", "2026-02")
    measures = {row["measure"] for row in exports.open_data_rows(figures)}
    assert d.NOTIFICATIONS_SENT in measures and not measures & set(d.SUMMED)


def case_event(event_type, case_id, at, **data):
    common = {"case_id": case_id, "case_type": "unpaid_wages", "urgency": "normal"}
    return event(event_type, {**common, "sensitive": False, **data}, at)


def opened(case_id, at, act_by):
    return case_event(
        c.CASE_OPENED,
        case_id,
        at,
        case_number="PMI-2026-0001",
        registered=True,
        destination_country="HK",
        reporter_kind="worker",
        channel="desk",
        aspect="economic",
        status="received",
        acknowledge_by=at + dt.timedelta(days=1),
        act_by=act_by,
    )


def moved(case_id, at, from_status, to_status):
    return case_event(
        c.CASE_STATUS_CHANGED, case_id, at, from_status=from_status, to_status=to_status
    )


def test_a_case_s_first_action_is_counted_in_the_month_it_was_received_with_its_working_hours():
    repository = FakeReportingRepository()
    uow = Uow(repository)
    monday = utc(2026, 3, 2, 2)  # 09.00 WIB; three working days: by the end of Thursday
    limit = utc(2026, 3, 5, 17)
    friday = utc(2026, 3, 6, 2)  # the Friday after (Nyepi, 19 March, is later): 96 h on
    # acted on the Wednesday (48 h), a week late, and not yet; one heard before its opening
    for case_id, first_action in (
        ("k-1", utc(2026, 3, 4, 2)),
        ("k-2", friday + dt.timedelta(days=7)),
    ):
        apply(uow, moved(case_id, first_action, "assessed", "in_progress"))
        apply(uow, opened(case_id, monday, limit))
        apply(uow, moved(case_id, first_action + dt.timedelta(hours=1), "in_progress", "resolved"))
    apply(uow, opened("k-3", monday, limit))
    apply(uow, moved("k-3", utc(2026, 3, 3), "received", "assessed"))  # no first action
    # received on a Friday evening, referred on Monday morning: the weekend does not count
    apply(uow, opened("k-4", utc(2026, 3, 27, 12), utc(2026, 4, 2, 17)))  # 19.00 WIB
    apply(uow, moved("k-4", utc(2026, 3, 30, 2), "received", "referred"))  # Monday 09.00 WIB

    answer = monthly(repository, {"from": "2026-03", "to": "2026-03"})
    (march,) = answer["first_actions"]
    # working hours: k-1 48, k-2 96 + 7 days of which 5 working (120) = 216, k-4 5 + 9 = 14
    assert march == {
        "month": "2026-03",
        "received": 4,
        "acted": 3,
        "acted_in_time": 2,
        "median_working_hours": 48.0,
    }
    assert monthly(repository, {"from": "2026-04", "to": "2026-04"})["first_actions"] == []


def test_the_csv_and_the_workbook_carry_the_cases_first_action_and_the_messages_cost():
    repository = FakeReportingRepository()
    uow = Uow(repository)
    apply(uow, event(c.WORKER_REGISTERED, REGISTERED, utc(2026, 3, 2)))
    monday, limit = utc(2026, 3, 2, 2), utc(2026, 3, 5, 17)
    apply(uow, opened("k-1", monday, limit))
    apply(uow, moved("k-1", utc(2026, 3, 4, 2), "assessed", "in_progress"))  # in time
    apply(uow, opened("k-2", monday, limit))
    apply(uow, moved("k-2", utc(2026, 3, 13, 2), "assessed", "referred"))  # a week late
    apply(uow, opened("k-3", utc(2026, 4, 6, 2), utc(2026, 4, 9, 17)))  # not acted on yet
    for kind, channel, segments, cost, at in (
        ("registered", "sms", 2, 700, utc(2026, 3, 2, 3)),
        ("registered", "sms", 1, 350, utc(2026, 3, 9)),
        ("session_reminder", "whatsapp", 1, 200, utc(2026, 4, 1)),
    ):
        data = {"kind": kind, "channel": channel, "segments": segments, "cost_rupiah": cost}
        apply(uow, event(c.NOTIFICATION_SENT, data, at))
    answer = monthly(repository, {"from": "2026-03", "to": "2026-04"})
    figures = d.figures_of(repository.facts.values(), repository.profiles, "2026-03", "2026-04")
    (march, april) = answer["first_actions"]
    median = march["median_working_hours"]
    assert (march["received"], march["acted"], march["acted_in_time"]) == (2, 2, 1)
    messages = [
        ["2026-03", "registered", "sms", 2, 3, 1050],
        ["2026-04", "session_reminder", "whatsapp", 1, 1, 200],
    ]

    # the CSV: the figures, then each section after an empty line, its name and its header
    figures_part, first_part, messages_part = (
        list(csv.reader(io.StringIO(part)))
        for part in exports.figures_csv(figures, answer["first_actions"]).split("\n\n")
    )
    assert figures_part[0] == list(exports.FIGURE_COLUMNS)
    assert len(figures_part) == 1 + len(figures)
    assert first_part == [
        ["first_actions"],
        list(exports.FIRST_ACTION_COLUMNS),
        ["2026-03", "2", "2", "1", "1", str(median)],
        ["2026-04", "1", "0", "0", "0", ""],
    ]
    assert messages_part == [
        ["messages"],
        list(exports.MESSAGE_COLUMNS),
        *([str(cell) for cell in row] for row in messages),
    ]

    # the workbook: a sheet of each, with numbers as numbers
    content = exports.figures_xlsx(
        figures, d.innovations_of(figures), d.funnel_of(figures, []), answer["first_actions"]
    )
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["figures", "innovations", "pak_camat", "first_actions", "messages"]
    assert list(book["first_actions"].iter_rows(values_only=True)) == [
        exports.FIRST_ACTION_COLUMNS,
        ("2026-03", 2, 2, 1, 1, median),
        ("2026-04", 1, 0, 0, 0, None),  # no median: an empty cell
    ]
    assert list(book["messages"].iter_rows(values_only=True)) == [
        exports.MESSAGE_COLUMNS,
        *(tuple(row) for row in messages),
    ]


def test_working_hours_leave_out_weekends_and_public_holidays():
    friday_evening = dt.datetime(2026, 3, 27, 19, tzinfo=WIB)
    assert working_hours_between(friday_evening, friday_evening + dt.timedelta(days=3)) == 5 + 19
    # 17 August, Independence Day, a Monday: Friday 12.00 to Tuesday 12.00 is 12 + 12 hours
    assert (
        working_hours_between(
            dt.datetime(2026, 8, 14, 12, tzinfo=WIB), dt.datetime(2026, 8, 18, 12, tzinfo=WIB)
        )
        == 24
    )
    assert working_hours_between(friday_evening, friday_evening) == 0
