"""What the worker and the worker's family are told of a letter, a protection case's steps, a
death and a repatriation: the case's number and step only, never its type or content; a
sensitive case to the worker alone in neutral words; a family member only with a phone and the
worker's consent, and with an opt-out of their own."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from pmi_common import contract as c
from pmi_common.events import Event
from services.notifications import domain as d
from services.notifications import handlers
from tests.unit.fakes import FakeUnitOfWork
from tests.unit.fakes.notifications import FakeNotificationsRepository

WIB = dt.timezone(dt.timedelta(hours=7))
NOON = dt.datetime(2026, 5, 13, 12, tzinfo=WIB).astimezone(dt.UTC)
WORKER_ID = str(uuid.uuid4())
CASE_ID = str(uuid.uuid4())
NUMBER = "PGD-2026-7K3M9Q2B"
SETTINGS = handlers.Settings(desk="LTSA PMI Blitar", inbound_secret="k" * 32)
MOTHER = {
    "id": str(uuid.uuid4()),
    "full_name": "Sumarni Wati",
    "relation": "parent",
    "phone": "081298765432",
    "emergency_contact": True,
    "consent_to_contact": True,
}
BROTHER = {  # on the list, but the worker did not consent to his being contacted
    "id": str(uuid.uuid4()),
    "full_name": "Joko",
    "relation": "sibling",
    "phone": "081311112222",
    "emergency_contact": True,
    "consent_to_contact": False,
}
AUNT = {  # consent, but not an emergency contact
    "id": str(uuid.uuid4()),
    "full_name": "Tini",
    "relation": "other_relative",
    "phone": "081355556666",
    "emergency_contact": False,
    "consent_to_contact": True,
}
FAMILY = [MOTHER, BROTHER, AUNT]
SUMMARY_WORDS = ("gaji", "wages", "unpaid", "economic", "ekonomi", "violence", "kekerasan")


def contact(reporter_kind="family_member", member=MOTHER, family=FAMILY) -> dict:
    return {
        "phone": "081234567890",
        "full_name": "Siti Aminah",
        "family": family,
        "case": {
            "case_number": NUMBER,
            "reporter_kind": reporter_kind,
            "family_member_id": member["id"] if member else None,
        },
    }


def event(event_type: str, data: dict, worker_id: str | None = WORKER_ID) -> Event:
    return Event(
        event_id=str(uuid.uuid4()),
        event_type=event_type,
        event_version=1,
        occurred_at=NOON,
        source=c.spec_for(event_type).source,
        worker_id=worker_id,
        sequence=1,
        correlation_id="test",
        actor=None,
        data=data,
    )


def case_data(case_type="unpaid_wages", **more) -> dict:
    sensitive = case_type in ("violence_abuse", "trafficking")
    return {
        "case_id": CASE_ID,
        "case_type": case_type,
        "urgency": "high",
        "sensitive": sensitive,
        **more,
    }


def opened(case_type="unpaid_wages") -> Event:
    data = case_data(case_type, case_number=NUMBER, status="received", aspect="economic")
    return event(c.CASE_OPENED, data)


def moved(to_status: str, case_type="unpaid_wages", frm="received") -> Event:
    return event(c.CASE_STATUS_CHANGED, case_data(case_type, from_status=frm, to_status=to_status))


@pytest.fixture
def uow():
    return FakeUnitOfWork(FakeNotificationsRepository(), source=c.NOTIFICATIONS)


def heard(uow, evt: Event, given: dict | None) -> list[d.Message]:
    return uow.run(handlers.EVENTS[evt.event_type], evt, given, NOON, SETTINGS)


def by_person(made: list[d.Message]) -> dict[str, d.Message]:
    return {message.worker_id: message for message in made}


# a letter ------------------------------------------------------------------------------------


def test_a_letter_issued_tells_the_worker_its_type_where_to_collect_it_and_how_it_is_checked(uow):
    issued = event(
        c.LETTER_ISSUED,
        {
            "letter_id": str(uuid.uuid4()),
            "letter_type": "passport_recommendation",
            "number": "560/123/409.112/2026",
            "issued_on": dt.date(2026, 5, 13),
        },
    )
    (message,) = heard(uow, issued, {"phone": "081234567890", "full_name": "Siti Aminah"})
    assert message.body == (
        "Surat rekomendasi paspor Anda sudah terbit. Ambil di LTSA PMI Blitar. "
        "Keasliannya dapat dicek dengan kode pada surat."
    )
    assert "560/123" not in message.body and message.worker_id == WORKER_ID
    assert (message.kind, message.segments) == (d.LETTER_READY, 1)


# a protection case ---------------------------------------------------------------------------


def test_a_case_reported_by_the_mother_tells_her_and_the_worker_its_number_and_step_only(uow):
    made = by_person(heard(uow, opened(), contact()))
    assert set(made) == {WORKER_ID, MOTHER["id"]}
    text = f"Pengaduan {NUMBER} sudah kami terima. Tanya LTSA PMI Blitar dengan nomor ini."
    assert made[WORKER_ID].body == text and made[WORKER_ID].address == "081234567890"
    assert made[MOTHER["id"]].body == text and made[MOTHER["id"]].address == MOTHER["phone"]
    assert not any(word in text.lower() for word in SUMMARY_WORDS)

    made = by_person(heard(uow, moved("referred"), contact()))
    assert made[MOTHER["id"]].body.startswith(
        f"Pengaduan {NUMBER} diteruskan ke pihak yang berwenang."
    )
    assert set(made) == {WORKER_ID, MOTHER["id"]}


def test_a_case_the_worker_reported_is_told_to_the_worker_alone(uow):
    (message,) = heard(uow, moved("resolved"), contact(reporter_kind="worker", member=None))
    assert message.worker_id == WORKER_ID
    assert message.body.startswith(f"Pengaduan {NUMBER} selesai ditangani.")


def test_a_reporter_the_worker_did_not_consent_to_contact_is_not_written_to(uow):
    (message,) = heard(uow, opened(), contact(member=BROTHER))
    assert message.worker_id == WORKER_ID


@pytest.mark.parametrize("case_type", ["violence_abuse", "trafficking"])
def test_a_sensitive_case_reaches_no_family_phone_and_tells_the_worker_in_neutral_words(
    uow, case_type
):
    for step in (opened(case_type), moved("assessed", case_type)):
        (message,) = heard(uow, step, contact())
        assert (message.worker_id, message.kind) == (WORKER_ID, d.CASE_NEWS)
        assert message.body == (
            f"Ada kabar untuk Anda dari LTSA PMI Blitar (nomor {NUMBER}). "
            "Hubungi kami bila Anda sempat."
        )
        assert "pengaduan" not in message.body.lower()
    assert uow.repository.person(MOTHER["id"]) is None


def test_the_case_of_a_workers_death_is_told_to_the_reporter_not_the_workers_phone(uow):
    (message,) = heard(uow, moved("referred", "death"), contact())
    assert message.worker_id == MOTHER["id"]


def test_a_case_about_someone_not_registered_tells_nobody(uow):
    assert heard(uow, event(c.CASE_OPENED, opened().data, worker_id=None), None) == []
    assert not handlers.needs_contact(event(c.CASE_OPENED, opened().data, worker_id=None))


# the family's news ---------------------------------------------------------------------------


def died(remains_repatriated=True) -> Event:
    return event(
        c.WORKER_DIED,
        {
            "died_on": dt.date(2026, 5, 1),
            "country": "MY",
            "cause": "illness",
            "remains_repatriated": remains_repatriated,
            "remains_arrive_on": dt.date(2026, 5, 20) if remains_repatriated else None,
            "heirs": [],
            "heir_names": [],
            "cycle": 1,
        },
    )


def test_a_death_is_told_to_the_emergency_contacts_the_worker_consented_to(uow):
    (message,) = heard(uow, died(), contact())
    assert (message.worker_id, message.address) == (MOTHER["id"], MOTHER["phone"])
    assert message.body == (
        "Turut berduka cita atas wafatnya Siti. Jenazah tiba 20 Mei 2026. "
        "Bantuan dan hak ahli waris: LTSA PMI Blitar."
    )
    assert "illness" not in message.body and "MY" not in message.body


def outcome(outcome: str, case_type="unpaid_wages") -> Event:
    return event(
        c.CASE_OUTCOME_RECORDED,
        case_data(
            case_type,
            outcome=outcome,
            amount=None,
            currency=None,
            returned_on=dt.date(2026, 5, 12) if outcome == "repatriated" else None,
            died_on=None,
            died_in=None,
            death_cause=None,
            remains_arrive_on=None,
        ),
    )


def test_a_repatriation_is_told_to_the_emergency_contacts(uow):
    (message,) = heard(uow, outcome("repatriated"), contact())
    assert message.worker_id == MOTHER["id"]
    assert message.body == (
        "Siti sudah dipulangkan ke Indonesia pada 12 Mei 2026. Info di LTSA PMI Blitar."
    )


def test_no_family_news_of_a_sensitive_case_or_an_outcome_that_is_no_repatriation(uow):
    for news in (outcome("repatriated", "violence_abuse"), outcome("wages_recovered")):
        assert not handlers.needs_contact(news)
        assert heard(uow, news, contact()) == []


def test_berhenti_from_the_mothers_number_stops_her_messages_only(uow):
    heard(uow, opened(), contact())
    stamp = str(int(NOON.timestamp()))
    sender, text = "+6281298765432", "BERHENTI"
    answer = uow.run(
        handlers.receive_reply,
        {
            "from": sender,
            "text": text,
            "timestamp": stamp,
            "signature": d.reply_signature(SETTINGS.inbound_secret, stamp, sender, text),
        },
        NOON,
        SETTINGS,
    )
    assert answer == {"intent": "opt_out", "people": 1}
    made = by_person(heard(uow, moved("assessed"), contact()))
    assert made[MOTHER["id"]].status == d.SUPPRESSED
    assert made[WORKER_ID].status == d.PENDING
    assert uow.repository.person(WORKER_ID).opted_out_at is None


def test_a_step_heard_twice_gives_each_person_one_message(uow):
    step = moved("in_progress")
    assert len(heard(uow, step, contact())) == 2
    assert heard(uow, step, contact()) == []


def test_a_phone_the_worker_shares_with_her_mother_gets_one_message(uow):
    shared = {**MOTHER, "phone": "+62 812-3456-7890"}  # the worker's own number, written so
    (message,) = heard(uow, opened(), {**contact(member=shared), "family": [shared]})
    assert message.worker_id == WORKER_ID


def test_two_emergency_contacts_on_one_phone_get_one_message_of_a_death(uow):
    father = {**MOTHER, "id": str(uuid.uuid4()), "full_name": "Sarno"}
    (message,) = heard(uow, died(), {**contact(), "family": [MOTHER, father]})
    assert message.worker_id == MOTHER["id"]


def test_after_her_death_the_workers_phone_is_written_to_no_more(uow):
    gone = {**contact(), "status": "deceased"}
    (message,) = heard(uow, moved("resolved"), gone)
    assert message.worker_id == MOTHER["id"]  # the reporter still hears the case's step
    expiring = event(
        c.DOCUMENT_EXPIRING,
        {
            "document_id": str(uuid.uuid4()),
            "document_type": "passport",
            "expires_on": dt.date(2026, 7, 1),
            "days_left": 49,
            "warning_days": 60,
            "abroad": True,
        },
    )
    assert heard(uow, expiring, gone) == []
    assert len(heard(uow, expiring, contact())) == 1  # alive, the same event speaks
