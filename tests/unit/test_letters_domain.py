"""Go-TKI letters as plain Python: what each type needs first, the village's decision and who may
see a letter, the office's numbering, and what anyone may read of a letter."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from pmi_common.errors import (
    AlreadyDecided,
    Forbidden,
    InvalidInput,
    NotEligible,
    TransitionRefused,
)
from pmi_common.identity import initials
from services.letters.domain import (
    ACKNOWLEDGED,
    FAMILY_PERMISSION,
    PASSPORT,
    REQUESTED,
    SKCK,
    Facts,
    Letter,
    NumberFormat,
    check_not_standing,
    check_prerequisites,
    missing,
    public_check,
)

NOW = dt.datetime(2026, 12, 6, 3, tzinfo=dt.UTC)
TODAY = dt.date(2026, 12, 6)
KADEMANGAN, SANANKULON = "35.05.12.2001", "35.05.13.2004"
WORKER = {"id": str(uuid.uuid4()), "status": "registered", "placement_agency": "PT Sinar Jaya"}
MOTHER = {"id": str(uuid.uuid4()), "relation": "parent", "full_name": "Sumini"}
SISTER = {"id": str(uuid.uuid4()), "relation": "sibling", "full_name": "Sri"}


def letter(letter_type=FAMILY_PERMISSION, status=REQUESTED, village=KADEMANGAN) -> Letter:
    return Letter(
        id=str(uuid.uuid4()),
        worker_id=WORKER["id"],
        letter_type=letter_type,
        status=status,
        requested_at=NOW,
        updated_at=NOW,
        village_code=village,
    )


def codes(letter_type: str, facts: Facts) -> list[str]:
    return [need.code for need in missing(letter_type, facts)]


def test_a_family_permission_needs_a_spouse_parent_or_guardian_on_the_family_list():
    assert codes(FAMILY_PERMISSION, Facts(WORKER, [SISTER], [])) == ["permission_giver_listed"]
    assert codes(FAMILY_PERMISSION, Facts(WORKER, [SISTER, MOTHER], [])) == []


def test_a_passport_recommendation_is_refused_before_the_family_permission_naming_what_is_missing():
    no_company = {**WORKER, "placement_agency": " "}
    with pytest.raises(NotEligible) as refused:
        check_prerequisites(PASSPORT, Facts(no_company, [MOTHER], [letter()]))
    assert [m["code"] for m in refused.value.details["missing"]] == [
        "family_permission_acknowledged",
        "placement_company_known",
    ]
    assert refused.value.message.startswith("Surat rekomendasi paspor belum dapat diproses")
    assert "kepala desa" in refused.value.message
    check_prerequisites(PASSPORT, Facts(WORKER, [MOTHER], [letter(status=ACKNOWLEDGED)]))


def test_no_letter_for_a_worker_who_has_departed():
    departed = {**WORKER, "status": "departed"}
    acknowledged = [letter(status=ACKNOWLEDGED)]
    assert codes(SKCK, Facts(departed, [MOTHER], acknowledged)) == ["worker_before_departure"]
    assert codes(SKCK, Facts(WORKER, [MOTHER], acknowledged)) == []


def test_one_letter_of_a_type_at_a_time_until_it_is_refused_or_revoked():
    with pytest.raises(AlreadyDecided):
        check_not_standing(FAMILY_PERMISSION, [letter()])
    check_not_standing(FAMILY_PERMISSION, [letter(status="refused"), letter(status="revoked")])
    check_not_standing(PASSPORT, [letter()])


def test_a_village_office_sees_only_its_own_residents_letters():
    kept = letter()
    assert kept.visible_to({"role": "village", "village": KADEMANGAN})
    assert not kept.visible_to({"role": "village", "village": SANANKULON})
    assert not kept.visible_to({"role": "village", "village": None})
    assert not letter(village=None).visible_to({"role": "village", "village": KADEMANGAN})
    assert kept.visible_to({"role": "operator", "subject": "desk-1"})


def test_the_village_acknowledges_with_a_permission_giver_from_the_family_list():
    kept = letter()
    with pytest.raises(InvalidInput, match="suami/istri, orang tua atau wali"):
        kept.decide(ACKNOWLEDGED, SISTER, TODAY, None, "kades", NOW, TODAY)
    with pytest.raises(InvalidInput, match="tidak boleh di masa depan"):
        kept.decide(ACKNOWLEDGED, MOTHER, TODAY + dt.timedelta(days=1), None, "kades", NOW, TODAY)
    with pytest.raises(InvalidInput, match="daftar keluarga"):
        kept.decide(ACKNOWLEDGED, None, TODAY, None, "kades", NOW, TODAY)
    kept.decide(ACKNOWLEDGED, MOTHER, TODAY, None, "kades", NOW, TODAY)
    assert (kept.status, kept.permission_giver_id, kept.permission_giver_relation) == (
        ACKNOWLEDGED,
        MOTHER["id"],
        "parent",
    )
    with pytest.raises(AlreadyDecided):
        kept.decide("refused", None, None, "salah", "kades", NOW, TODAY)


def test_a_refusal_says_why_and_a_recommendation_is_not_the_villages_to_decide():
    with pytest.raises(InvalidInput, match="alasan"):
        letter().decide("refused", None, None, " ", "kades", NOW, TODAY)
    with pytest.raises(TransitionRefused):
        letter(PASSPORT).decide(ACKNOWLEDGED, MOTHER, TODAY, None, "kades", NOW, TODAY)


def test_a_family_permission_is_issued_only_once_the_village_acknowledged_it():
    with pytest.raises(TransitionRefused, match="menunggu"):
        letter().check_issuable()
    letter(status=ACKNOWLEDGED).check_issuable()
    letter(PASSPORT).check_issuable()


def test_the_office_numbers_letters_by_its_scheme_and_refuses_one_that_could_repeat():
    scheme = NumberFormat("560/{seq}/{type}/409.112/{year}")
    assert scheme.number(PASSPORT, 2026, 17) == "560/17/RP/409.112/2026"
    assert scheme.number(FAMILY_PERMISSION, 2026, 1) == "560/1/IK/409.112/2026"
    assert NumberFormat("{type}-{year}-{seq:04d}").number(SKCK, 2027, 3) == "RS-2027-0003"
    for wrong in ("560/{seq}/409.112/{year}", "{seq}/{year}/{type}/{office}", "560/{year}"):
        with pytest.raises(ValueError, match="LETTER_NUMBER_FORMAT"):
            NumberFormat(wrong)


def test_the_check_shows_initials_only_and_the_same_shape_for_an_unknown_code():
    assert initials("Siti Nur'aini binti Ahmad") == "S. N. A."
    issued = letter(status="issued")
    issued.number, issued.issued_on, issued.worker_initials = "560/1/IK/409.112/2026", TODAY, "S."
    valid = public_check(issued, "ABC")
    unknown = public_check(None, "XYZ")
    waiting = public_check(letter(), "ABC")
    assert set(valid) == set(unknown) == set(waiting)
    assert (valid["status"], valid["status_label"]["id"], valid["worker_initials"]) == (
        "valid",
        "SAH",
        "S.",
    )
    assert unknown["status"] == waiting["status"] == "unknown"
    assert unknown["number"] is None and waiting["number"] is None
    issued.revoke("data keliru", "desk-1", NOW)
    assert public_check(issued, "ABC")["revoked_at"] == NOW.isoformat()


def test_offline_a_scanned_form_counts_once_another_officer_confirms_it():
    kept = letter()
    with pytest.raises(TransitionRefused, match="belum ada formulir"):
        kept.confirm_form("desk-2", NOW)
    scan = (b"%PDF-1.4 scan", "application/pdf", "ab" * 32)
    with pytest.raises(InvalidInput, match="suami/istri"):
        kept.upload_form(scan, SISTER, TODAY, "desk-1", NOW, TODAY)
    kept.upload_form(scan, MOTHER, TODAY, "desk-1", NOW, TODAY)
    assert kept.status == REQUESTED and kept.permission_giver_id == MOTHER["id"]
    with pytest.raises(Forbidden, match="four eyes"):
        kept.confirm_form("desk-1", NOW)
    kept.confirm_form("desk-2", NOW)
    assert (kept.status, kept.decided_by, kept.form_uploaded_by) == (
        ACKNOWLEDGED,
        "desk-2",
        "desk-1",
    )


def test_offline_another_officer_refuses_a_scanned_form_and_nothing_of_it_is_kept():
    kept = letter()
    with pytest.raises(TransitionRefused, match="belum ada formulir"):
        kept.refuse_form("desk-2", "buram", NOW)
    scan = (b"%PDF-1.4 scan", "application/pdf", "ab" * 32)
    kept.upload_form(scan, MOTHER, TODAY, "desk-1", NOW, TODAY)
    with pytest.raises(Forbidden, match="four eyes"):
        kept.refuse_form("desk-1", "buram", NOW)
    kept.refuse_form("desk-2", "tanda tangan tidak ada", NOW)
    assert kept.status == REQUESTED
    assert (kept.form_scan, kept.form_uploaded_by, kept.permission_giver_id) == (None, None, None)
    assert (kept.form_refused_by, kept.form_refusal_reason) == ("desk-2", "tanda tangan tidak ada")
    with pytest.raises(TransitionRefused, match="belum ada formulir"):
        kept.confirm_form("desk-2", NOW)
    kept.upload_form(scan, MOTHER, TODAY, "desk-1", NOW, TODAY)
    kept.confirm_form("desk-2", NOW)
    assert kept.status == ACKNOWLEDGED
