"""A letter's PDF: rendered with the office's letterhead and a QR code to the public check, and
signed (PAdES) so that pyHanko's validator finds the signature intact and any change breaks it."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from services.letters.domain import Letter
from services.letters.press import LetterPress, problems
from services.letters.signing import make_certificate

NOW = dt.datetime(2026, 12, 6, 3, tzinfo=dt.UTC)
WORKER = {
    "full_name": "Siti Nur'aini binti Ahmad",
    "birth_date": "1994-03-17",
    "sex": "F",
    "address": {"village": "Kademangan", "district": "Kademangan", "regency": "Blitar"},
    "destination_country": "HK",
    "placement_agency": "PT Sinar Jaya",
}


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    folder = tmp_path_factory.mktemp("office")
    cert_pem, key_pem = make_certificate("Dinas Tenaga Kerja Kabupaten Blitar")
    (folder / "cert.pem").write_bytes(cert_pem)
    (folder / "key.pem").write_bytes(key_pem)
    config = {
        "LETTER_SIGNING_CERT_FILE": str(folder / "cert.pem"),
        "LETTER_SIGNING_KEY_FILE": str(folder / "key.pem"),
        "LETTER_VERIFY_URL": "https://pmi.blitarkab.go.id/",
        "PMI_ENV": "production",
    }
    return LetterPress(config, folder), cert_pem


def issued_letter() -> Letter:
    return Letter(
        id=str(uuid.uuid4()),
        worker_id=str(uuid.uuid4()),
        letter_type="family_permission",
        status="issued",
        requested_at=NOW,
        updated_at=NOW,
        village_code="35.05.12.2001",
        permission_giver_relation="parent",
        permission_given_on=dt.date(2026, 12, 1),
        number="560/1/IK/409.112/2026",
        issued_on=dt.date(2026, 12, 6),
        verification_code="ABCDEFGHJKMN",
    )


def validated(pdf: bytes, cert_pem: bytes):
    context = ValidationContext(trust_roots=list(load_certs_from_pemder_data(cert_pem)))
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    return validate_pdf_signature(signature, context)


def test_a_letter_is_signed_by_the_office_and_any_change_breaks_the_signature(office):
    press, cert_pem = office
    pdf = press(issued_letter(), WORKER, {"full_name": "Sumini", "relation": "parent"})
    assert press.verify_url("ABCDEFGHJKMN") == "https://pmi.blitarkab.go.id/verify/ABCDEFGHJKMN"
    status = validated(pdf, cert_pem)
    assert (status.intact, status.valid, status.trusted) == (True, True, True)
    assert status.coverage.name == "ENTIRE_FILE"
    changed = bytearray(pdf)
    at = changed.index(b"/Title") + 1
    changed[at : at + 5] = b"Xitle"  # inside the signed bytes
    assert not validated(bytes(changed), cert_pem).intact


def test_production_refuses_to_start_without_the_offices_certificate():
    assert problems({"PMI_ENV": "production"})[0].startswith("LETTER_SIGNING_CERT_FILE")
    assert problems({"PMI_ENV": "development"}) == []
    assert (
        "LETTER_NUMBER_FORMAT"
        in problems({"PMI_ENV": "development", "LETTER_NUMBER_FORMAT": "560/{seq}"})[0]
    )
