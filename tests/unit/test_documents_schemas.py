"""What the documents service accepts, without a broker or a database."""

import base64
import datetime as dt

import pytest

from pmi_common.errors import InvalidInput
from pmi_common.validation import load
from services.documents.schemas import DeskQuery, RejectDocument, SubmitDocument

TODAY = dt.date(2026, 6, 1)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"


def submission(**overrides):
    payload = {
        "type": "passport",
        "number": "X1234567",
        "issued_on": "2025-02-01",
        "expires_on": "2030-02-01",
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not ...}


def test_a_submission_with_a_scan_comes_out_with_its_checked_file():
    data = load(
        SubmitDocument(today=TODAY),
        submission(
            file={"content_base64": base64.b64encode(PDF).decode(), "filename": "paspor.jpg"}
        ),
    )
    assert data["file"].media_type == "application/pdf"
    assert data["issued_on"] == dt.date(2025, 2, 1)


def test_a_submission_names_each_bad_field():
    with pytest.raises(InvalidInput) as refused:
        load(SubmitDocument(today=TODAY), submission(type="ktp", number="", issued_on="soon"))
    assert set(refused.value.details) == {"type", "number", "issued_on"}


def test_senseless_dates_are_refused_with_the_reason():
    with pytest.raises(InvalidInput) as refused:
        load(
            SubmitDocument(today=TODAY), submission(issued_on="2026-07-01", expires_on="2026-05-01")
        )
    assert refused.value.details["issued_on"] == ["must not be in the future (today is 2026-06-01)"]
    assert any("already expired" in r for r in refused.value.details["expires_on"])


def test_a_passport_without_an_expiry_is_refused_but_a_contract_is_not():
    with pytest.raises(InvalidInput) as refused:
        load(SubmitDocument(today=TODAY), submission(expires_on=...))
    assert refused.value.details == {"expires_on": ["is required for a passport"]}
    data = load(
        SubmitDocument(today=TODAY), submission(type="employment_contract", expires_on=None)
    )
    assert data["expires_on"] is None and data["file"] is None


def test_a_scan_that_is_not_a_pdf_jpeg_or_png_is_refused_whatever_its_name():
    with pytest.raises(InvalidInput) as refused:
        load(
            SubmitDocument(today=TODAY),
            submission(
                file={
                    "content_base64": base64.b64encode(b"GIF89a....").decode(),
                    "filename": "scan.png",
                }
            ),
        )
    assert "PDF, JPEG or PNG" in refused.value.details["file"][0]


def test_unknown_fields_are_refused():
    with pytest.raises(InvalidInput) as refused:
        load(SubmitDocument(today=TODAY), submission(colour="blue"))
    assert "colour" in refused.value.details


def test_a_rejection_needs_a_reason():
    for payload in ({}, {"reason": "   "}):
        with pytest.raises(InvalidInput) as refused:
            load(RejectDocument(), payload)
        assert "reason" in refused.value.details


def test_the_desk_queue_pages_at_most_two_hundred():
    assert load(DeskQuery(), {})["limit"] == 50
    with pytest.raises(InvalidInput):
        load(DeskQuery(), {"limit": 500})
