"""The document checklist, date, file and decision rules, without a broker or a database."""

import base64
import datetime as dt
import hashlib

import pytest

from pmi_common.clock import FixedClock, district_date
from pmi_common.contract import DOCUMENT_TYPES
from pmi_common.errors import AlreadyDecided, Forbidden, TransitionRefused
from services.documents.domain import (
    MAX_FILE_BYTES,
    BadFile,
    Document,
    Worker,
    checklist,
    date_problems,
    earliest_expiry,
    ensure_accepts_documents,
    ensure_decidable,
    ensure_may_decide,
    is_complete,
    is_repeat,
    lapsed_abroad,
    percentile,
    read_scan,
    sniff_media_type,
)

TODAY = dt.date(2026, 6, 1)
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


def doc(kind, status="verified", expires_on=None, cycle=1, **kwargs):
    return Document(
        id=f"d-{kind}",
        worker_id="w-1",
        cycle=cycle,
        document_type=kind,
        number="X1234567",
        issued_on=dt.date(2025, 1, 1),
        submitted_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
        status=status,
        expires_on=expires_on,
        **kwargs,
    )


def all_verified(**overrides):
    return [overrides.get(kind, doc(kind)) for kind in DOCUMENT_TYPES]


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


# the checklist ------------------------------------------------------------------------------


def test_an_empty_checklist_lists_the_eight_types_in_the_brief_order_as_missing():
    assert checklist([], TODAY) == [(kind, "missing") for kind in DOCUMENT_TYPES]
    assert DOCUMENT_TYPES[0] == "marital_status_letter"
    assert DOCUMENT_TYPES[-1] == "employment_contract"
    assert not is_complete([], TODAY)


def test_the_checklist_is_complete_only_when_every_type_is_verified():
    assert is_complete(all_verified(), TODAY)
    for kind in DOCUMENT_TYPES:
        for status in ("submitted", "rejected", "expired"):
            assert not is_complete(all_verified(**{kind: doc(kind, status)}), TODAY)
    assert not is_complete(all_verified()[:-1], TODAY)


def test_a_verified_document_past_its_expiry_counts_as_expired_before_the_check_runs():
    lapsed = doc("passport", expires_on=TODAY - dt.timedelta(days=1))
    assert dict(checklist(all_verified(passport=lapsed), TODAY))["passport"] == "expired"
    assert not is_complete(all_verified(passport=lapsed), TODAY)


def test_a_document_is_valid_through_its_expiry_date():
    last_day = doc("passport", expires_on=TODAY)
    assert is_complete(all_verified(passport=last_day), TODAY)


def test_earliest_expiry_is_the_first_date_a_document_of_the_set_lapses():
    documents = all_verified(
        passport=doc("passport", expires_on=dt.date(2030, 1, 1)),
        work_visa=doc("work_visa", expires_on=dt.date(2027, 5, 1)),
    )
    assert earliest_expiry(documents) == dt.date(2027, 5, 1)
    assert earliest_expiry([doc("employment_contract")]) is None


def test_the_business_day_is_the_day_in_western_indonesia():
    assert district_date(dt.datetime(2026, 5, 31, 17, 0, tzinfo=dt.UTC)) == dt.date(2026, 6, 1)
    assert district_date(dt.datetime(2026, 5, 31, 16, 59, tzinfo=dt.UTC)) == dt.date(2026, 5, 31)


def test_the_district_day_follows_the_configured_zone():
    at = dt.datetime(2026, 5, 31, 16, 30, tzinfo=dt.UTC)
    assert district_date(at, "Asia/Makassar") == dt.date(2026, 6, 1)  # WITA, UTC+8
    assert FixedClock(at, "Asia/Jayapura").today() == dt.date(2026, 6, 1)  # WIT, UTC+9
    assert FixedClock(at).today() == dt.date(2026, 5, 31)  # WIB by default


# dates ---------------------------------------------------------------------------------------


def test_sensible_dates_are_accepted():
    assert date_problems("passport", dt.date(2025, 1, 1), dt.date(2030, 1, 1), TODAY) == {}
    assert date_problems("employment_contract", TODAY, None, TODAY) == {}


def test_an_expiry_before_the_issue_date_is_refused_with_the_reason():
    problems = date_problems("passport", dt.date(2025, 1, 1), dt.date(2024, 1, 1), TODAY)
    assert "must be after issued_on (2025-01-01)" in problems["expires_on"]


def test_an_issue_date_in_the_future_is_refused():
    problems = date_problems("marital_status_letter", TODAY + dt.timedelta(days=1), None, TODAY)
    assert problems["issued_on"] == ["must not be in the future (today is 2026-06-01)"]


def test_an_already_expired_document_is_refused():
    problems = date_problems("work_visa", dt.date(2024, 1, 1), TODAY - dt.timedelta(days=1), TODAY)
    assert problems["expires_on"] == ["the document has already expired (on 2026-05-31)"]


@pytest.mark.parametrize("kind", ["passport", "work_visa", "health_certificate"])
def test_passport_visa_and_health_certificate_need_an_expiry_date(kind):
    assert date_problems(kind, dt.date(2025, 1, 1), None, TODAY) == {
        "expires_on": [f"is required for a {kind}"]
    }


def test_a_type_without_a_required_expiry_may_still_carry_one():
    assert (
        date_problems("competency_certificate", dt.date(2025, 1, 1), dt.date(2028, 1, 1), TODAY)
        == {}
    )


# files ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content,media_type", [(PDF, "application/pdf"), (JPEG, "image/jpeg"), (PNG, "image/png")]
)
def test_pdf_jpeg_and_png_are_recognised_by_their_content(content, media_type):
    scan = read_scan(b64(content))
    assert scan.media_type == media_type
    assert scan.sha256 == hashlib.sha256(content).hexdigest()
    assert scan.size == len(content)


def test_a_file_named_pdf_that_is_not_one_is_refused():
    assert sniff_media_type(b"MZ\x90\x00 this is an executable") is None
    with pytest.raises(BadFile, match="PDF, JPEG or PNG"):
        read_scan(b64(b"<html>surat.pdf</html>"))


def test_a_scan_over_the_size_limit_is_refused():
    with pytest.raises(BadFile, match="larger than"):
        read_scan(b64(PDF + b"\0" * MAX_FILE_BYTES))
    with pytest.raises(BadFile, match="larger than"):
        read_scan(b64(PDF + b"\0" * 100), max_bytes=64)


def test_text_that_is_not_base64_is_refused():
    with pytest.raises(BadFile, match="base64"):
        read_scan("not base64 at all!")
    with pytest.raises(BadFile, match="empty"):
        read_scan("")


def test_the_same_file_has_the_same_digest():
    assert read_scan(b64(PNG)).sha256 == read_scan(b64(PNG)).sha256


# submissions and decisions --------------------------------------------------------------------


def test_a_withdrawn_or_returned_worker_gets_no_more_submissions():
    for kind in DOCUMENT_TYPES:
        ensure_accepts_documents("registered", kind)
        ensure_accepts_documents("cleared_for_departure", kind)
    for status in ("withdrawn", "returned", "deceased"):
        with pytest.raises(TransitionRefused, match="before departure"):
            ensure_accepts_documents(status, "passport")


def test_a_worker_abroad_renews_a_passport_or_work_visa_and_nothing_else():
    ensure_accepts_documents("departed", "passport")
    ensure_accepts_documents("departed", "work_visa")
    for kind in set(DOCUMENT_TYPES) - {"passport", "work_visa"}:
        with pytest.raises(TransitionRefused, match="abroad renews only a passport or a work visa"):
            ensure_accepts_documents("departed", kind)


def test_a_lapse_abroad_is_a_warning_only_for_a_passport_or_work_visa_of_a_departed_worker():
    assert lapsed_abroad("departed", "passport") and lapsed_abroad("departed", "work_visa")
    assert not lapsed_abroad("departed", "health_certificate")
    assert not lapsed_abroad("registered", "passport")
    assert not lapsed_abroad("returned", "work_visa")


def test_a_renewal_abroad_is_decided_like_any_other_and_other_types_are_not():
    ensure_decidable(doc("passport", "submitted"), 1, "departed", TODAY, verifying=True)
    with pytest.raises(TransitionRefused, match="work visa"):
        ensure_decidable(
            doc("employment_contract", "submitted"), 1, "departed", TODAY, verifying=True
        )


def test_an_identical_submission_is_recognised_as_a_repeat():
    first = {"number": "X1234567", "issued_on": TODAY, "expires_on": None, "file_sha256": "ab"}
    assert is_repeat(first, dict(first))
    assert not is_repeat(first, {**first, "number": "X1234568"})
    assert not is_repeat(first, {**first, "file_sha256": None})


def test_only_the_document_desk_decides():
    ensure_may_decide({"role": "verifier"})
    ensure_may_decide({"role": "admin"})
    ensure_may_decide(None)  # a call between services
    for role in ("operator", "worker", "agency", "trainer"):
        with pytest.raises(Forbidden):
            ensure_may_decide({"role": role})


def test_a_decided_or_replaced_document_is_not_decided_again():
    for status in ("verified", "rejected", "expired"):
        with pytest.raises(AlreadyDecided):
            ensure_decidable(doc("passport", status), 1, "registered", TODAY, verifying=False)
    with pytest.raises(AlreadyDecided, match="replaced"):
        ensure_decidable(
            doc("passport", "submitted", replaced_by="d2"), 1, "registered", TODAY, verifying=True
        )
    with pytest.raises(AlreadyDecided, match="earlier registration"):
        ensure_decidable(
            doc("passport", "submitted", cycle=1), 2, "registered", TODAY, verifying=True
        )
    ensure_decidable(doc("passport", "submitted"), 1, "registered", TODAY, verifying=True)


def test_a_document_that_lapsed_while_waiting_can_be_rejected_but_not_verified():
    lapsed = doc("health_certificate", "submitted", expires_on=TODAY - dt.timedelta(days=1))
    with pytest.raises(TransitionRefused, match="expired"):
        ensure_decidable(lapsed, 1, "registered", TODAY, verifying=True)
    ensure_decidable(lapsed, 1, "registered", TODAY, verifying=False)


# the worker copy -----------------------------------------------------------------------------


def test_a_newer_registration_cycle_starts_a_new_checklist_and_older_words_change_nothing():
    worker = Worker(
        id="w-1",
        cycle=1,
        status="registered",
        sequence=2,
        known_since=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
        updated_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
    )
    assert not worker.learn(sequence=5, cycle=1, status="withdrawn")
    assert worker.status == "withdrawn"
    assert not worker.learn(sequence=4, cycle=1, status="documents_verified")  # older
    assert worker.status == "withdrawn"
    assert worker.learn(sequence=8, cycle=2, status="registered")
    assert (worker.cycle, worker.status, worker.sequence) == (2, "registered", 8)


# the desk's figures --------------------------------------------------------------------------


def test_percentiles_interpolate_like_postgresql():
    assert percentile([], 0.5) is None
    assert percentile([10.0], 0.9) == 10.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile(list(map(float, range(1, 11))), 0.9) == pytest.approx(9.1)


def test_the_submitter_never_decides_on_their_own_document():
    from pmi_common.errors import Forbidden
    from services.documents.domain import ensure_separate_duties

    with pytest.raises(Forbidden, match="cannot decide on it"):
        ensure_separate_duties("desk-1", "desk-1")
    ensure_separate_duties("desk-1", "desk-2")
    ensure_separate_duties(None, "desk-2")  # submitted before submitters were recorded


def test_a_document_is_verified_only_against_its_scan():
    from pmi_common.errors import TransitionRefused
    from services.documents.domain import ensure_scanned

    with pytest.raises(TransitionRefused, match="without its scan"):
        ensure_scanned(None)
    ensure_scanned("ab" * 32)
