"""The protection desk's rules, without I/O: working days of Indonesia's calendar, the time
limits by urgency, the workflow and its owner, who sees a sensitive case, the family's code."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from pmi_common.errors import Forbidden, InvalidInput, NotFound, TransitionRefused
from pmi_common.workdays import end_of_working_days, is_working_day, working_days_after
from services.protection.domain import (
    LIMITS,
    Case,
    code_digest,
    code_matches,
    new_code,
    new_number,
    visible,
)

WIB = ZoneInfo("Asia/Jakarta")
ADMIN = {"role": "admin", "subject": "admin-1"}
SITI = {"role": "caseworker", "subject": "siti"}
BUDI = {"role": "caseworker", "subject": "budi"}


def wib(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=WIB)


def case(urgency="normal", case_type="unpaid_wages", at=None, **kwargs) -> Case:
    at = at or wib(2026, 5, 13, 10)
    acknowledge_by, act_by = LIMITS[urgency].deadlines(at)
    return Case(
        id="c1",
        number="PGD-2026-AAAAAAAA",
        code_digest=code_digest("PGD-2026-AAAAAAAA", "ABCDEFGHJK"),
        reporter_kind="family_member",
        channel="desk",
        aspect="economic",
        case_type=case_type,
        urgency=urgency,
        summary="not paid for three months",
        received_at=at,
        acknowledge_by=acknowledge_by,
        act_by=act_by,
        **kwargs,
    )


# working days ---------------------------------------------------------------------------------


def test_weekends_and_public_holidays_are_not_working_days():
    assert is_working_day(dt.date(2026, 5, 13))  # a Wednesday
    assert not is_working_day(dt.date(2026, 5, 14))  # Ascension Day, a Thursday
    assert not is_working_day(dt.date(2026, 5, 16))  # a Saturday
    assert not is_working_day(dt.date(2026, 6, 1))  # Pancasila Day, a Monday
    assert not is_working_day(dt.date(2026, 8, 17))  # Independence Day


def test_counting_working_days_skips_a_holiday_and_a_weekend():
    # Wednesday 13 May; Thursday 14 is Ascension Day; then Friday, the weekend, Monday
    assert working_days_after(dt.date(2026, 5, 13), 1) == dt.date(2026, 5, 15)
    assert working_days_after(dt.date(2026, 5, 13), 3) == dt.date(2026, 5, 19)
    # Friday 29 May: the weekend, then Pancasila Day on Monday 1 June
    assert working_days_after(dt.date(2026, 5, 29), 1) == dt.date(2026, 6, 2)


def test_a_limit_ends_at_midnight_in_the_district_after_the_last_working_day():
    ends = end_of_working_days(wib(2026, 5, 13, 10), 1)
    assert ends == wib(2026, 5, 16, 0)
    assert ends.tzinfo == dt.UTC and ends == dt.datetime(2026, 5, 15, 17, tzinfo=dt.UTC)


def test_the_districts_day_counts_not_utcs():
    # 20:00 UTC on Monday 11 May is 03:00 on Tuesday 12 May in Blitar
    received = dt.datetime(2026, 5, 11, 20, tzinfo=dt.UTC)
    assert end_of_working_days(received, 1) == wib(2026, 5, 14, 0)


# time limits ----------------------------------------------------------------------------------


def test_a_normal_case_is_acknowledged_in_one_working_day_and_acted_on_in_three():
    received = case(at=wib(2026, 5, 13, 10))
    assert received.acknowledge_by == wib(2026, 5, 16, 0)  # end of Friday 15 (14: holiday)
    assert received.act_by == wib(2026, 5, 20, 0)  # end of Tuesday 19


def test_an_emergency_is_acknowledged_within_two_hours_even_on_a_holiday():
    received = case("emergency", at=wib(2026, 6, 1, 9))  # Pancasila Day
    assert received.acknowledge_by == wib(2026, 6, 1, 11)
    assert received.overdue(wib(2026, 6, 1, 10, 59)) == []
    assert received.overdue(wib(2026, 6, 1, 11, 1)) == ["acknowledge"]


def test_an_open_case_past_its_limits_is_overdue_until_they_are_met():
    late = case(at=wib(2026, 5, 13, 10), assigned_to="siti")
    assert late.overdue(wib(2026, 5, 15, 23, 59)) == []
    assert late.overdue(wib(2026, 5, 16, 0, 1)) == ["acknowledge"]
    assert late.overdue(wib(2026, 5, 20, 0, 1)) == ["acknowledge", "act"]
    late.move("assessed", SITI, wib(2026, 5, 20, 8))
    assert late.overdue(wib(2026, 5, 20, 8, 1)) == ["act"]
    late.move("in_progress", SITI, wib(2026, 5, 20, 9))
    assert late.overdue(wib(2026, 5, 20, 9, 1)) == []
    assert (late.acknowledged_at, late.acted_at) == (wib(2026, 5, 20, 8), wib(2026, 5, 20, 9))


def test_a_closed_case_is_never_overdue():
    closed = case(assigned_to="siti")
    closed.move("closed", SITI, wib(2026, 5, 13, 11), note="the family withdrew the complaint")
    assert closed.overdue(wib(2026, 7, 1)) == []


# the workflow -----------------------------------------------------------------------------------


def test_a_case_goes_from_received_to_closed_each_step_recorded():
    followed = case(assigned_to="siti")
    for to in ("assessed", "referred", "in_progress"):
        referred = {"kind": "bp3mi", "summary": "gaji"} if to == "referred" else None
        followed.move(to, SITI, wib(2026, 5, 14, 9), note=f"now {to}", referred=referred)
    followed.move("resolved", SITI, wib(2026, 5, 14, 9), outcome="reconciled")
    followed.move("closed", ADMIN, wib(2026, 5, 20, 9), note="the wages were paid")
    assert followed.status == "closed"
    assert [(s.from_status, s.to_status, s.by, s.role) for s in followed.steps] == [
        ("received", "assessed", "siti", "caseworker"),
        ("assessed", "referred", "siti", "caseworker"),
        ("referred", "in_progress", "siti", "caseworker"),
        ("in_progress", "resolved", "siti", "caseworker"),
        ("resolved", "closed", "admin-1", "admin"),
    ]
    assert followed.resolved_at == wib(2026, 5, 14, 9)
    assert followed.closed_at == wib(2026, 5, 20, 9)


def test_a_step_that_skips_the_workflow_is_refused_and_changes_nothing():
    skipping = case(assigned_to="siti")
    with pytest.raises(TransitionRefused) as refused:
        skipping.move("resolved", SITI, wib(2026, 5, 13, 11), outcome="reconciled")
    assert refused.value.details["allowed"] == ["assessed", "closed"]
    assert (skipping.status, skipping.steps, skipping.acknowledged_at) == ("received", [], None)


def test_a_closed_case_is_reopened_with_a_reason_and_worked_again():
    reopened = case(assigned_to="siti")
    reopened.move("closed", SITI, wib(2026, 5, 13, 11), note="no contact")
    with pytest.raises(InvalidInput):
        reopened.move("reopened", SITI, wib(2026, 5, 20, 9))
    reopened.move("reopened", SITI, wib(2026, 5, 20, 9), note="the daughter called home")
    reopened.move("in_progress", SITI, wib(2026, 5, 20, 10))
    assert reopened.status == "in_progress" and reopened.is_open


def test_only_the_assigned_caseworker_or_the_admin_moves_a_case():
    owned = case(assigned_to="siti")
    with pytest.raises(Forbidden):
        owned.move("assessed", BUDI, wib(2026, 5, 13, 11))
    with pytest.raises(Forbidden):
        case().move("assessed", SITI, wib(2026, 5, 13, 11))  # unassigned
    owned.move("assessed", ADMIN, wib(2026, 5, 13, 11))
    assert owned.status == "assessed"


def test_a_caseworker_takes_an_unassigned_case_and_only_the_admin_reassigns():
    taken = case()
    taken.assign("siti", SITI, wib(2026, 5, 13, 11))
    assert (taken.assigned_to, taken.steps[-1].action) == ("siti", "assigned")
    with pytest.raises(Forbidden):
        taken.assign("budi", BUDI, wib(2026, 5, 13, 12))  # taking another's case
    with pytest.raises(Forbidden):
        taken.assign("budi", SITI, wib(2026, 5, 13, 12))  # giving it away
    taken.assign("budi", ADMIN, wib(2026, 5, 13, 12), note="Siti is on leave")
    assert taken.assigned_to == "budi" and len(taken.steps) == 2
    with pytest.raises(TransitionRefused):
        taken.assign("budi", ADMIN, wib(2026, 5, 13, 13))


# who sees a case, and what the family sees ----------------------------------------------------


def test_a_sensitive_case_is_seen_only_by_its_caseworker_and_the_admin():
    sensitive = case(case_type="trafficking", assigned_to="siti")
    assert sensitive.sensitive
    assert sensitive.visible_to(SITI) and sensitive.visible_to(ADMIN)
    assert not sensitive.visible_to(BUDI)
    assert not case(case_type="violence_abuse").visible_to(SITI)  # unassigned: the admin only
    with pytest.raises(NotFound):
        visible(sensitive, BUDI, "c1")
    assert case().visible_to(BUDI)  # unpaid wages: the whole desk


def test_the_code_opens_only_its_own_case():
    number, code = new_number(2026), new_code()
    followed = case()
    followed.number, followed.code_digest = number, code_digest(number, code)
    assert code_matches(followed, number, code)
    assert code_matches(followed, number, code.lower())  # read out over the phone
    assert not code_matches(followed, number, "X" * 10)
    assert not code_matches(None, number, code)
    assert number.startswith("PGD-2026-") and len(code) == 10


def test_only_public_notes_reach_the_family():
    followed = case(assigned_to="siti")
    followed.move("assessed", SITI, wib(2026, 5, 13, 11), note="employer's phone: +85291234567")
    followed.move(
        "referred",
        SITI,
        wib(2026, 5, 13, 12),
        note="diteruskan ke KJRI Hong Kong",
        public=True,
        referred={"kind": "embassy", "country": "HK", "summary": "gaji"},
    )
    assert [s.note for s in followed.public_notes()] == ["diteruskan ke KJRI Hong Kong"]


# outcomes and linking ---------------------------------------------------------------------------


def test_resolving_needs_an_outcome_and_no_other_step_takes_one():
    worked = case(assigned_to="siti")
    worked.move("assessed", SITI, wib(2026, 5, 13, 11))
    with pytest.raises(InvalidInput) as missing:
        worked.move("resolved", SITI, wib(2026, 5, 14, 9))
    assert missing.value.details == {"outcome": ["required to resolve a case"]}
    with pytest.raises(InvalidInput):
        worked.move("in_progress", SITI, wib(2026, 5, 14, 9), outcome="reconciled")
    assert (worked.status, worked.outcome) == ("assessed", None)


def test_a_repatriation_comes_home_on_the_day_resolved_unless_the_day_is_given():
    repatriated = case(assigned_to="siti", destination_country="HK")
    repatriated.move("assessed", SITI, wib(2026, 5, 13, 11))
    # 02:00 WIB on the 15th is still the 14th in UTC: the district's day counts
    step = repatriated.move("resolved", SITI, wib(2026, 5, 15, 2), outcome="repatriated")
    assert step.outcome == repatriated.outcome == "repatriated"
    assert repatriated.outcome_details is not None
    assert repatriated.outcome_details["returned_on"] == "2026-05-15"


def test_a_death_is_in_the_cases_destination_country_unless_another_is_named():
    died = case(assigned_to="siti", destination_country="TW")
    died.move("assessed", SITI, wib(2026, 5, 13, 11))
    died.move(
        "resolved",
        SITI,
        wib(2026, 5, 20, 9),
        outcome="deceased_remains_repatriated",
        details={"died_on": dt.date(2026, 5, 10), "death_cause": "illness"},
    )
    assert died.outcome_details is not None
    assert (died.outcome_details["died_in"], died.outcome_details["died_on"]) == (
        "TW",
        "2026-05-10",
    )
    nowhere = case(assigned_to="siti")
    nowhere.move("assessed", SITI, wib(2026, 5, 13, 11))
    with pytest.raises(InvalidInput):
        nowhere.move(
            "resolved",
            SITI,
            wib(2026, 5, 20, 9),
            outcome="deceased_remains_repatriated",
            details={"died_on": dt.date(2026, 5, 10), "death_cause": "illness"},
        )
    assert nowhere.status == "assessed"


def test_a_case_about_someone_unregistered_is_linked_once_by_its_caseworker():
    stranger = case(assigned_to="siti", person_name="Sri Wahyuni")
    with pytest.raises(Forbidden):
        stranger.link("w-1", BUDI, wib(2026, 5, 14, 9))
    step = stranger.link("w-1", SITI, wib(2026, 5, 14, 9), note="she registered at the desk")
    assert (stranger.worker_id, step.action, step.by) == ("w-1", "linked", "siti")
    with pytest.raises(TransitionRefused):
        stranger.link("w-2", ADMIN, wib(2026, 5, 14, 10))
    assert stranger.worker_id == "w-1"


# referrals and the agency's answer ----------------------------------------------------------------

BP3MI = {"role": "agency", "subject": "bp3mi-jatim-api", "agency": "bp3mi-jatim"}
OTHER_AGENCY = {"role": "agency", "subject": "kbri-api", "agency": "kbri-hk"}


def assessed(**kwargs) -> Case:
    worked = case(assigned_to="siti", destination_country="HK", **kwargs)
    worked.move("assessed", SITI, wib(2026, 5, 13, 11))
    return worked


def test_referring_names_whom_and_no_other_step_does():
    worked = assessed()
    with pytest.raises(InvalidInput) as refused:
        worked.move("referred", SITI, wib(2026, 5, 13, 12))
    assert refused.value.details == {"referral": ["required to refer a case"]}
    with pytest.raises(InvalidInput):
        worked.move(
            "in_progress",
            SITI,
            wib(2026, 5, 13, 12),
            referred={"kind": "police", "summary": "gaji"},
        )
    assert worked.status == "assessed"
    step = worked.move(
        "referred",
        SITI,
        wib(2026, 5, 13, 12),
        note="kirim ke BP3MI",
        referred={"kind": "agency", "agency": "bp3mi-jatim"},
    )
    assert step.referral == {
        "kind": "agency",
        "name": None,
        "country": None,
        "agency": "bp3mi-jatim",
    }
    assert (step.agency, step.by, step.note, worked.status) == (
        "bp3mi-jatim",
        "siti",
        "kirim ke BP3MI",
        "referred",
    )
    assert worked.acted_at == wib(2026, 5, 13, 12)  # a referral is a first action


@pytest.mark.parametrize(
    ("referred", "problem"),
    [
        ({"kind": "agency"}, "agency"),  # which onboarded agency
        ({"kind": "police", "summary": "gaji"}, "name"),  # which police station
        ({"kind": "hospital", "summary": "gaji"}, "name"),
        ({"kind": "legal_aid", "summary": "gaji"}, "name"),
        # an agency only as kind agency
        ({"kind": "bp3mi", "agency": "bp3mi-jatim", "summary": "gaji"}, "agency"),
        ({"kind": "consul", "summary": "gaji"}, "kind"),
        ({"kind": "bp3mi"}, "summary"),  # what the letter tells the body, confirmed
        ({"kind": "bp3mi", "summary": "  "}, "summary"),
        ({"kind": "agency", "agency": "bp3mi-jatim", "summary": "gaji"}, "summary"),  # an event
    ],
)
def test_a_referral_names_the_body_fully(referred, problem):
    worked = assessed()
    with pytest.raises(InvalidInput) as refused:
        worked.move("referred", SITI, wib(2026, 5, 13, 12), referred=referred)
    assert list(refused.value.details["referral"]) == [problem]
    assert worked.status == "assessed" and len(worked.steps) == 1


def test_an_embassy_is_the_destination_country_s_unless_named():
    worked = assessed()
    step = worked.move(
        "referred", SITI, wib(2026, 5, 13, 12), referred={"kind": "embassy", "summary": "gaji"}
    )
    assert step.referral["country"] == "HK" and step.agency is None
    unknown = case(assigned_to="siti")
    unknown.move("assessed", SITI, wib(2026, 5, 13, 11))
    with pytest.raises(InvalidInput):
        unknown.move(
            "referred", SITI, wib(2026, 5, 13, 12), referred={"kind": "embassy", "summary": "gaji"}
        )


def test_the_agency_referred_to_answers_and_no_other():
    worked = assessed(case_type="trafficking")  # a sensitive case: its referral's agency answers
    worked.move(
        "referred", SITI, wib(2026, 5, 13, 12), referred={"kind": "agency", "agency": "bp3mi-jatim"}
    )
    step = worked.answer("in_progress", "petugas menghubungi majikan", BP3MI, wib(2026, 5, 14, 9))
    assert (step.action, step.agency, step.answer, step.role, step.by) == (
        "answered",
        "bp3mi-jatim",
        "in_progress",
        "agency",
        "bp3mi-jatim-api",
    )
    assert worked.status == "referred"  # the status stays the caseworker's to move
    for stranger in (OTHER_AGENCY, SITI, ADMIN, {"role": "agency", "subject": "x"}):
        with pytest.raises(NotFound):
            worked.answer("resolved", None, stranger, wib(2026, 5, 14, 10))
    with pytest.raises(InvalidInput):
        worked.answer("done", None, BP3MI, wib(2026, 5, 14, 10))
    assert [s.action for s in worked.steps] == ["moved", "moved", "answered"]


def test_an_agency_answers_nothing_on_a_case_not_referred_to_it():
    worked = assessed()
    worked.move(
        "referred",
        SITI,
        wib(2026, 5, 13, 12),
        referred={"kind": "police", "name": "Polres", "summary": "gaji"},
    )
    with pytest.raises(NotFound):
        worked.answer("received", None, BP3MI, wib(2026, 5, 14, 9))
