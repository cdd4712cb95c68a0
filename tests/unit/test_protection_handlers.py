"""The protection service's handlers over the in-memory repository: what filing, assigning and
moving a case store and publish, and what a family reads with its code."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid

import pytest

from pmi_common import contract as c
from pmi_common.errors import InvalidInput, NotFound, TransitionRefused
from pmi_common.events import parse_event
from services.protection import handlers
from tests.unit.fakes import FakeUnitOfWork
from tests.unit.fakes.protection import FakeProtectionRepository

NOW = dt.datetime(2026, 5, 13, 3, tzinfo=dt.UTC)  # Wednesday 10:00 WIB
WORKER_ID = str(uuid.uuid4())
MOTHER_ID = str(uuid.uuid4())
WORKER = {"id": WORKER_ID, "destination_country": "HK", "family": [{"id": MOTHER_ID}]}
SITI = {"role": "caseworker", "subject": "siti", "agency": None}
ADMIN = {"role": "admin", "subject": "admin-1", "agency": None}
SUMMARY = "Anak kami di Hong Kong belum digaji tiga bulan"


def filing(**changes) -> dict:
    return {
        "worker_id": WORKER_ID,
        "reporter_kind": "family_member",
        "family_member_id": MOTHER_ID,
        "channel": "desk",
        "aspect": "economic",
        "case_type": "unpaid_wages",
        "urgency": "high",
        "summary": SUMMARY,
        **changes,
    }


@pytest.fixture
def uow():
    return FakeUnitOfWork(FakeProtectionRepository(), source=c.PROTECTION, actor=SITI)


def opened(uow, command=None, worker=WORKER):
    return uow.run(handlers.open_case, command or filing(), NOW, worker)


def test_a_family_members_report_opens_a_case_with_a_code_and_an_event_without_its_text(uow):
    case, code = opened(uow)
    assert (case.status, case.destination_country, case.worker_id) == ("received", "HK", WORKER_ID)
    assert [(s.action, s.by, s.to_status) for s in case.steps] == [("opened", "siti", "received")]
    assert len(code) == 10 and code not in case.code_digest
    assert uow.types() == [c.CASE_OPENED]
    event = uow.published[0]
    parse_event(event)
    assert event["worker_id"] == WORKER_ID
    assert event["data"]["case_number"] == case.number and event["data"]["registered"] is True
    assert SUMMARY not in json.dumps(event) and code not in json.dumps(event)


def test_a_person_not_registered_is_named_by_village_and_country(uow):
    case, _ = opened(
        uow,
        filing(
            worker_id=None,
            family_member_id=None,
            reporter_kind="other",
            person_name="Sri Wahyuni",
            village_code="35.05.01.2001",
            destination_country="MY",
            case_type="lost_contact",
        ),
        worker=None,
    )
    assert (case.worker_id, case.person_name, case.destination_country) == (
        None,
        "Sri Wahyuni",
        "MY",
    )
    assert uow.published[0]["worker_id"] is None
    assert uow.published[0]["data"]["registered"] is False


def test_a_case_about_an_unknown_worker_or_a_stranger_as_family_is_refused(uow):
    with pytest.raises(InvalidInput) as unknown:
        opened(uow, worker=None)
    assert "worker_id" in unknown.value.details
    with pytest.raises(InvalidInput) as stranger:
        opened(uow, filing(family_member_id=str(uuid.uuid4())))
    assert "family_member_id" in stranger.value.details
    with pytest.raises(InvalidInput) as missing:
        opened(uow, filing(worker_id=None, family_member_id=None, reporter_kind="other"))
    assert {"person_name", "village_code", "destination_country"} <= set(missing.value.details)
    assert uow.repository.cases == {} and uow.published == []


def test_assigning_and_resolving_publish_who_and_what_changed(uow):
    case, _ = opened(uow)
    uow.run(handlers.assign_case, case.id, {"caseworker": "siti"}, NOW)
    for to in ("assessed", "in_progress"):
        uow.run(handlers.move_case, case.id, {"to": to}, NOW + dt.timedelta(hours=1))
    recovered = {"kind": "wages_recovered", "amount": "12000.50", "currency": "HKD"}
    resolving = {"to": "resolved", "outcome": recovered}
    uow.run(handlers.move_case, case.id, resolving, NOW + dt.timedelta(hours=1))
    assert uow.types() == [
        c.CASE_OPENED,
        c.CASE_ASSIGNED,
        c.CASE_STATUS_CHANGED,
        c.CASE_STATUS_CHANGED,
        c.CASE_STATUS_CHANGED,
        c.CASE_RESOLVED,
        c.CASE_OUTCOME_RECORDED,
    ]
    for event in uow.published:
        parse_event(event)
    assert uow.published[1]["data"]["assigned_to"] == "siti"
    resolved = uow.published[-2]["data"]
    assert resolved["acknowledged_in_time"] and resolved["acted_in_time"]
    outcome = uow.published[-1]["data"]
    assert (outcome["outcome"], outcome["amount"], outcome["currency"]) == (
        "wages_recovered",
        "12000.50",
        "HKD",
    )
    assert outcome["returned_on"] is None and outcome["died_on"] is None
    assert [e["sequence"] for e in uow.published] == [1, 2, 3, 4, 5, 6, 7]
    assert case.outcome_details["amount"] == "12000.50"  # kept as JSON


def test_an_outcome_gives_only_its_own_details_and_the_ones_it_needs(uow):
    case, _ = opened(uow)
    uow.run(handlers.assign_case, case.id, {"caseworker": "siti"}, NOW)
    uow.run(handlers.move_case, case.id, {"to": "assessed"}, NOW)
    for outcome, field in (
        ({"kind": "wages_recovered", "currency": "HKD"}, "amount"),
        ({"kind": "repatriated", "amount": "10"}, "amount"),
        ({"kind": "deceased_remains_repatriated", "died_on": "2026-05-01"}, "death_cause"),
        ({"kind": "sold_out"}, "kind"),
    ):
        with pytest.raises(InvalidInput) as refused:
            uow.run(handlers.move_case, case.id, {"to": "resolved", "outcome": outcome}, NOW)
        assert field in refused.value.details["outcome"], outcome
    assert uow.repository.get(case.id).status == "assessed"


def test_a_repatriation_publishes_the_day_home_for_registration(uow):
    case, _ = opened(uow)
    uow.run(handlers.assign_case, case.id, {"caseworker": "siti"}, NOW)
    uow.run(handlers.move_case, case.id, {"to": "assessed"}, NOW)
    uow.run(
        handlers.move_case,
        case.id,
        {"to": "resolved", "outcome": {"kind": "repatriated", "returned_on": "2026-05-12"}},
        NOW,
    )
    event = uow.published[-1]
    parse_event(event)
    assert event["worker_id"] == WORKER_ID
    assert (event["data"]["outcome"], event["data"]["returned_on"]) == ("repatriated", "2026-05-12")


def test_linking_a_strangers_case_makes_its_events_the_workers(uow):
    case, _ = opened(
        uow,
        filing(
            worker_id=None,
            family_member_id=None,
            reporter_kind="other",
            person_name="Sri Wahyuni",
            village_code="35.05.01.2001",
            destination_country="MY",
            case_type="lost_contact",
        ),
        worker=None,
    )
    uow.run(handlers.assign_case, case.id, {"caseworker": "siti"}, NOW)
    with pytest.raises(InvalidInput):
        uow.run(handlers.link_case, case.id, {"worker_id": WORKER_ID}, NOW, None)
    case = uow.run(handlers.link_case, case.id, {"worker_id": WORKER_ID}, NOW, WORKER)
    linked = uow.published[-1]
    parse_event(linked)
    assert (linked["event_type"], linked["worker_id"]) == (c.CASE_LINKED, WORKER_ID)
    assert (case.worker_id, case.destination_country, case.person_name) == (
        WORKER_ID,
        "MY",
        "Sri Wahyuni",
    )
    uow.run(handlers.move_case, case.id, {"to": "assessed"}, NOW)
    assert uow.published[-1]["worker_id"] == WORKER_ID


def test_a_family_reads_status_and_public_notes_and_a_wrong_code_is_no_case(uow):
    case, code = opened(uow)
    uow.actor = ADMIN
    uow.run(
        handlers.move_case,
        case.id,
        {"to": "assessed", "note": "sudah kami hubungi agensinya", "public": True},
        NOW,
    )
    found = handlers.public_status(uow.repository, case.number, code)
    assert found is case
    with pytest.raises(NotFound) as wrong_code:
        handlers.public_status(uow.repository, case.number, "ZZZZZZZZZZ")
    with pytest.raises(NotFound) as wrong_number:
        handlers.public_status(uow.repository, "PGD-2026-00000000", code)
    with pytest.raises(NotFound) as malformed:
        handlers.public_status(uow.repository, "nonsense", "x")
    assert str(wrong_code.value) == str(wrong_number.value) == str(malformed.value)


def test_the_open_cases_put_the_overdue_first_and_hide_others_sensitive_cases(uow):
    normal, _ = opened(uow, filing(urgency="normal"))
    emergency, _ = opened(uow, filing(urgency="emergency"))
    hidden, _ = opened(uow, filing(case_type="trafficking", aspect="legal"))
    later = NOW + dt.timedelta(hours=3)  # the emergency is past its two hours
    found, total, overdue = handlers.list_cases(uow.repository, {}, SITI, later)
    assert [x.id for x in found] == [emergency.id, normal.id]
    assert (total, overdue) == (2, 1)
    found, total, _ = handlers.list_cases(uow.repository, {}, ADMIN, later)
    assert hidden.id in {x.id for x in found} and total == 3
    with pytest.raises(NotFound):
        handlers.get_case(uow.repository, hidden.id, SITI)


def test_the_overview_lists_open_cases_counts_them_and_charts_the_weeks(uow):
    case, _ = opened(uow)
    sensitive, _ = opened(uow, filing(case_type="violence_abuse"))
    found, counts, weeks = handlers.case_overview(uow.repository, SITI, NOW)
    assert [c.id for c in found] == [case.id]  # not the sensitive case nobody gave her
    assert (counts["open"], counts["by_type"]) == (1, {"unpaid_wages": 1})
    assert weeks[-1] == {"week": "2026-05-11", "opened": 1, "resolved": 0}
    found, counts, _ = handlers.case_overview(uow.repository, ADMIN, NOW)
    assert {c.id for c in found} == {case.id, sensitive.id} and counts["open"] == 2


PDF = b"%PDF-1.7\n" + b"0" * 100  # what a scanner writes first


def attach(uow, case_id, content: bytes, **changes):
    body = {"content_base64": base64.b64encode(content).decode(), **changes}
    return uow.run(handlers.attach_file, case_id, body, NOW)


def test_a_scan_is_attached_by_its_caseworker_and_read_back_with_its_content(uow):
    case, _ = opened(uow)
    uow.run(handlers.assign_case, case.id, {"caseworker": "siti"}, NOW)
    published = len(uow.published)
    case = attach(uow, case.id, PDF, filename="slip-gaji.pdf", description="slip gaji Maret")
    (kept,) = case.attachments
    assert (kept.media_type, kept.size, kept.added_by, kept.filename) == (
        "application/pdf",
        len(PDF),
        "siti",
        "slip-gaji.pdf",
    )
    assert (case.steps[-1].action, case.steps[-1].note) == ("attached", "slip gaji Maret")
    assert len(uow.published) == published  # the file stays at the desk: no event
    read = handlers.get_attachment(uow.repository, case.id, kept.id, SITI)
    assert read.content == PDF
    with pytest.raises(NotFound):
        handlers.get_attachment(uow.repository, case.id, str(uuid.uuid4()), SITI)


def test_an_attachment_that_is_not_a_scan_or_photo_or_comes_twice_is_refused(uow):
    case, _ = opened(uow)
    uow.run(handlers.assign_case, case.id, {"caseworker": "siti"}, NOW)
    with pytest.raises(InvalidInput) as refused:
        attach(uow, case.id, b"MZ\x90\x00 an executable")
    assert "content_base64" in refused.value.details
    with pytest.raises(InvalidInput):
        attach(uow, case.id, b"%PDF-" + b"0" * (5 * 1024 * 1024))  # over 5 MiB
    attach(uow, case.id, PDF)
    with pytest.raises(TransitionRefused):
        attach(uow, case.id, PDF)
    assert len(uow.repository.get(case.id).attachments) == 1


def test_only_its_caseworker_attaches_and_a_sensitive_cases_files_stay_hidden(uow):
    case, _ = opened(uow, filing(case_type="violence_abuse"))
    uow.actor = ADMIN
    uow.run(handlers.assign_case, case.id, {"caseworker": "siti"}, NOW)
    uow.actor = {"role": "caseworker", "subject": "budi", "agency": None}
    with pytest.raises(NotFound):
        attach(uow, case.id, PDF)
    uow.actor = SITI
    kept = attach(uow, case.id, PDF).attachments[0]
    with pytest.raises(NotFound):
        handlers.get_attachment(uow.repository, case.id, kept.id, {"role": "caseworker"})


BP3MI = {"role": "agency", "subject": "bp3mi-jatim-api", "agency": "bp3mi-jatim"}


def referred(uow, referral, case_type="lost_contact"):
    case, _ = opened(uow, filing(case_type=case_type, notes="NIK 3505125703940001 di KTP"))
    uow.run(handlers.assign_case, case.id, {"caseworker": "siti"}, NOW)
    uow.run(handlers.move_case, case.id, {"to": "assessed"}, NOW)
    moving = {"to": "referred", "note": "kirim ke BP3MI", "referral": referral}
    uow.run(handlers.move_case, case.id, moving, NOW + dt.timedelta(hours=1))
    return case


def test_a_referral_is_kept_on_the_case_and_published_without_its_text(uow):
    case = referred(uow, {"kind": "agency", "agency": "bp3mi-jatim"})
    step = case.steps[-1]
    assert (step.to_status, step.by, step.note, step.agency) == (
        "referred",
        "siti",
        "kirim ke BP3MI",
        "bp3mi-jatim",
    )
    assert uow.types()[-2:] == [c.CASE_STATUS_CHANGED, c.CASE_REFERRED]
    event = uow.published[-1]
    parse_event(event)
    assert event["worker_id"] == WORKER_ID
    assert event["data"] == {
        "case_id": case.id,
        "case_type": "lost_contact",
        "urgency": "high",
        "sensitive": False,
        "aspect": "economic",
        "destination_country": "HK",
        "referred_kind": "agency",
        "referred_agency": "bp3mi-jatim",
    }
    text = json.dumps(event)
    assert SUMMARY not in text and "kirim" not in text and "3505125703940001" not in text


def test_a_referral_to_a_body_off_the_platform_names_no_agency(uow):
    referred(uow, {"kind": "police", "name": "Polres Blitar", "summary": "gaji"})
    assert uow.published[-1]["data"]["referred_agency"] is None
    with pytest.raises(InvalidInput):
        referred(uow, {"kind": "police", "summary": "gaji"})  # which police


def test_the_agency_referred_to_answers_on_the_case_and_another_finds_no_case(uow):
    uow.actor = ADMIN  # a sensitive case: the admin gives it to its caseworker
    case = referred(uow, {"kind": "agency", "agency": "bp3mi-jatim"}, case_type="trafficking")
    published = len(uow.published)
    uow.actor = BP3MI
    _, step = uow.run(
        handlers.answer_case, case.id, {"status": "received", "note": "diterima"}, NOW
    )
    assert (step.action, step.agency, step.answer, step.note) == (
        "answered",
        "bp3mi-jatim",
        "received",
        "diterima",
    )
    assert case.steps[-1] is step and len(uow.published) == published  # no event
    uow.actor = {"role": "agency", "subject": "kbri-api", "agency": "kbri-hk"}
    with pytest.raises(NotFound):
        uow.run(handlers.answer_case, case.id, {"status": "resolved"}, NOW)
    with pytest.raises(NotFound):
        uow.run(handlers.answer_case, str(uuid.uuid4()), {"status": "resolved"}, NOW)
    uow.actor = BP3MI
    with pytest.raises(InvalidInput):
        uow.run(handlers.answer_case, case.id, {"status": "done"}, NOW)


def test_a_referral_names_an_agency_onboarded_with_its_agreement_in_force():
    onboarded = {"bp3mi-jatim"}
    asked: list[str] = []

    def in_force(agency: str) -> bool:
        asked.append(agency)
        return agency in onboarded

    handlers.check_referred_agency(
        {"to": "referred", "referral": {"kind": "agency", "agency": "bp3mi-jatim"}}, in_force
    )
    with pytest.raises(InvalidInput, match="bp3mi-jatm") as refused:
        handlers.check_referred_agency(
            {"to": "referred", "referral": {"kind": "agency", "agency": "bp3mi-jatm"}}, in_force
        )
    assert refused.value.details == {
        "referral": {"agency": ["not onboarded, or its agreement is not in force"]}
    }
    # a body not on the platform, or no referral at all: nothing to ask
    handlers.check_referred_agency(
        {"to": "referred", "referral": {"kind": "embassy", "country": "HK", "summary": "gaji"}},
        in_force,
    )
    handlers.check_referred_agency({"to": "in_progress"}, in_force)
    assert asked == ["bp3mi-jatim", "bp3mi-jatm"]
