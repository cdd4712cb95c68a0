"""Referrals to bodies outside the platform, without I/O: the directory says where a letter goes,
the letter says what the body needs to act (never the NIK in full), a sensitive case's letter is
never mailed, and a body's answer, recorded by the caseworker or posted by an agency, lands on
its referral's thread."""

from __future__ import annotations

import datetime as dt
import email

import pytest

from pmi_common.errors import Forbidden, InvalidInput, NotFound
from pmi_common.letterhead import Letterhead
from services.protection import letters
from services.protection.directory import EMBASSIES, Directory
from services.protection.handlers import LetterDesk, _write_letter
from tests.helpers import pdf_text
from tests.unit.test_protection_domain import ADMIN, BUDI, SITI, case, wib

NIK = "3505124403940001"
WORKER = {
    "full_name": "Siti Nur Aini",
    "nik": NIK,
    "destination_country": "HK",
    "placement_agency": "PT Sinar Jaya",
}
DIRECTORY = Directory(
    [
        {"kind": "embassy", "country": "HK", "email": "pelindungan@kjri-hk.test"},
        {"kind": "police", "name": "Polres Blitar", "email": "spkt@polres-blitar.test"},
    ]
)
CONFIRMED = "Pekerja tidak dapat dihubungi sejak enam minggu; mohon bantuan pelacakan"


def assessed(case_type="lost_contact"):
    worked = case(case_type=case_type, destination_country="HK", employer="Mr Chan")
    worked.assign("siti", SITI, wib(2026, 5, 13, 10, 30))
    worked.move("assessed", SITI, wib(2026, 5, 13, 11))
    return worked


def referred(kind="embassy", case_type="lost_contact", summary=CONFIRMED, **details):
    worked = assessed(case_type)
    step = worked.move(
        "referred",
        SITI,
        wib(2026, 5, 13, 12),
        referred={"kind": kind, "summary": summary, **details},
    )
    referral = worked.referral(step.referral_id)
    _write_letter(worked, referral, LetterDesk(DIRECTORY, Letterhead(), WORKER), step.at)
    return worked, referral


def test_an_embassy_with_an_address_gets_its_letter_by_mail():
    worked, referral = referred()
    assert (referral.name, referral.email, referral.delivery) == (
        EMBASSIES["HK"],
        "pelindungan@kjri-hk.test",
        "queued",
    )
    assert referral.next_try_at == wib(2026, 5, 13, 12)
    assert worked.steps[-1].referral_id == referral.id
    assert "summary" not in worked.steps[-1].referral  # the letter's text stays with the referral


def test_a_body_without_an_address_gets_a_letter_to_print():
    _, referral = referred("legal_aid", name="LBH Surabaya")
    assert (referral.name, referral.email, referral.delivery) == ("LBH Surabaya", None, "to_print")
    assert referral.letter and referral.letter.startswith(b"%PDF")


@pytest.mark.parametrize("case_type", ["violence_abuse", "trafficking"])
def test_a_sensitive_cases_letter_is_never_mailed_even_with_an_address(case_type):
    _, referral = referred("police", case_type=case_type, name="Polres Blitar")
    assert (referral.email, referral.delivery, referral.next_try_at) == (None, "withheld", None)
    assert referral.letter is not None  # printed, and handed over by the caseworker


def test_the_letter_names_what_the_body_needs_and_masks_the_nik():
    worked, referral = referred()
    text = pdf_text(referral.letter)
    for needed in (
        "SURAT RUJUKAN",
        f"{worked.number}/RJK/1",
        EMBASSIES["HK"],
        "Siti Nur Aini",
        "350512******0001",
        "HK",
        "Mr Chan",
        "PT Sinar Jaya",
        "hilang kontak",
        "mohon bantuan pelacakan",
    ):
        assert needed in text, needed
    assert NIK not in text
    assert worked.summary not in text  # the summary the caseworker confirmed, not the intake's


def test_a_nik_typed_into_the_confirmed_summary_is_masked():
    _, referral = referred("bp3mi", summary=f"NIK {NIK} belum dibayar")
    assert NIK not in (referral.summary or "") and NIK not in pdf_text(referral.letter)


def test_the_mail_carries_the_letter_and_nothing_of_the_case_but_its_number():
    worked, referral = referred()
    mail = letters.mail(worked, referral, "pengaduan@blitar.test", "loket@blitar.test")
    parsed = email.message_from_bytes(mail.as_bytes())
    assert (parsed["To"], parsed["Reply-To"]) == ("pelindungan@kjri-hk.test", "loket@blitar.test")
    assert parsed["Message-ID"] == f"<referral-{referral.id}@pmi-protection>"
    (attached,) = [part for part in parsed.walk() if part.get_filename()]
    assert attached.get_content_type() == "application/pdf"
    assert attached.get_payload(decode=True) == referral.letter
    body = mail.get_body().get_content()
    assert worked.number in body
    assert "Siti" not in body and "pelacakan" not in body and "HK" not in parsed["Subject"]


def test_a_letter_the_server_did_not_take_is_tried_again_later_up_to_an_hour_apart():
    _, referral = referred()
    at = wib(2026, 5, 13, 13)
    waits = []
    for _ in range(10):
        referral.mail_failed("SMTPServerDisconnected", at)
        waits.append(referral.next_try_at - at)
    assert waits[:3] == [dt.timedelta(seconds=s) for s in (30, 60, 120)]
    assert waits[-1] == dt.timedelta(hours=1) and referral.delivery == "queued"


def test_mailed_is_a_step_on_the_referrals_thread():
    worked, referral = referred()
    step = worked.letter_mailed(referral.id, wib(2026, 5, 13, 12, 1), "<referral-x@pmi>")
    assert (referral.delivery, referral.mailed_at, referral.next_try_at) == (
        "mailed",
        wib(2026, 5, 13, 12, 1),
        None,
    )
    assert (step.action, step.referral_id) == ("mailed", referral.id)
    assert "pelindungan@kjri-hk.test" in step.note


def test_the_caseworker_records_the_bodys_answer_on_its_thread():
    worked, referral = referred()
    step = worked.record_answer(
        referral.id,
        "received",
        "Bapak Hendra, staf perlindungan KJRI",
        wib(2026, 5, 13, 15),
        "sudah menghubungi majikan",
        SITI,
        wib(2026, 5, 14, 9),
    )
    assert (step.action, step.answer, step.referral_id, step.by) == (
        "answered",
        "received",
        referral.id,
        "siti",
    )
    assert (step.answered_by, step.answered_at) == (
        "Bapak Hendra, staf perlindungan KJRI",
        wib(2026, 5, 13, 15),
    )
    assert worked.status == "referred"  # an answer does not move the case


def test_only_its_caseworker_or_the_admin_records_an_answer_and_only_a_plausible_one():
    worked, referral = referred()
    answer = ("received", "KJRI", wib(2026, 5, 13, 15), None)
    with pytest.raises(Forbidden):
        worked.record_answer(referral.id, *answer, BUDI, wib(2026, 5, 14, 9))
    worked.record_answer(referral.id, *answer, ADMIN, wib(2026, 5, 14, 9))
    with pytest.raises(NotFound):
        worked.record_answer("no-such-referral", *answer, SITI, wib(2026, 5, 14, 9))
    with pytest.raises(InvalidInput):  # before it was referred
        worked.record_answer(
            referral.id, "received", "KJRI", wib(2026, 5, 13, 11), None, SITI, wib(2026, 5, 14)
        )
    with pytest.raises(InvalidInput):  # in the future
        worked.record_answer(
            referral.id, "received", "KJRI", wib(2026, 5, 15), None, SITI, wib(2026, 5, 14)
        )
    with pytest.raises(InvalidInput):
        worked.record_answer(
            referral.id, "maybe", "KJRI", wib(2026, 5, 13, 15), None, SITI, wib(2026, 5, 14)
        )


def test_an_agencys_answer_lands_on_the_thread_of_its_latest_referral():
    worked = assessed()
    first = worked.move(
        "referred", SITI, wib(2026, 5, 13, 12), referred={"kind": "agency", "agency": "bp3mi"}
    )
    worked.move("in_progress", SITI, wib(2026, 5, 13, 13))
    again = worked.move(
        "referred", SITI, wib(2026, 5, 14, 12), referred={"kind": "agency", "agency": "bp3mi"}
    )
    assert first.referral_id != again.referral_id
    agency = {"role": "agency", "subject": "bp3mi-1", "agency": "bp3mi"}
    step = worked.answer("in_progress", "dilacak", agency, wib(2026, 5, 14, 13))
    assert (step.referral_id, step.answered_by, step.answered_at) == (
        again.referral_id,
        "bp3mi",
        wib(2026, 5, 14, 13),
    )
    assert worked.referral(again.referral_id).delivery == "event"


def test_the_directory_knows_each_destinations_mission_and_a_configured_address():
    assert Directory().find("embassy", None, "TW").name.startswith("Kantor Dagang")
    assert Directory().find("embassy", None, "TW").email is None
    assert "(PL)" in Directory().find("embassy", None, "PL").name
    police = DIRECTORY.find("police", "polres blitar", None)
    assert (police.name, police.email) == ("polres blitar", "spkt@polres-blitar.test")
    assert Directory().find("bp3mi", None, None).name.startswith("Balai Pelayanan")
    given = Directory.from_config(
        {"REFERRAL_DIRECTORY": '[{"kind": "bp3mi", "name": "BP3MI Jatim", "email": "a@b.test"}]'}
    )
    assert given.find("bp3mi", None, None).email == "a@b.test"
    with pytest.raises(ValueError, match="REFERRAL_DIRECTORY"):
        Directory([{"kind": "police"}])


def test_a_letter_about_someone_not_registered_names_her_and_her_village():
    worked = case(destination_country="MY", person_name="Sri Wahyuni", village_code="35.05.12.2001")
    worked.assign("siti", SITI, wib(2026, 5, 13, 10, 30))
    worked.move("assessed", SITI, wib(2026, 5, 13, 11))
    step = worked.move(
        "referred", SITI, wib(2026, 5, 13, 12), referred={"kind": "embassy", "summary": CONFIRMED}
    )
    referral = worked.referral(step.referral_id)
    _write_letter(worked, referral, LetterDesk(DIRECTORY, Letterhead(), None), step.at)
    text = pdf_text(referral.letter)
    assert "Sri Wahyuni" in text and "35.05.12.2001" in text and EMBASSIES["MY"] in text
    assert referral.delivery == "to_print"  # the directory has no address for Kuala Lumpur
