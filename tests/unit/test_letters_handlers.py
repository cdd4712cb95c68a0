"""The letters service's handlers over the in-memory repository: a request refused until what it
needs is true, the family permission decided by the worker's own village only, issued letters
numbered one after another by the office's scheme, revoked, and the events each step publishes."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from pmi_common import contract as c
from pmi_common.errors import InvalidInput, NotEligible, NotFound, TransitionRefused
from services.letters import handlers
from services.letters.domain import NumberFormat
from tests.unit.fakes import FakeUnitOfWork
from tests.unit.fakes.letters import FakeLettersRepository

NOW = dt.datetime(2026, 12, 6, 3, tzinfo=dt.UTC)
TODAY = dt.date(2026, 12, 6)
KADEMANGAN, SANANKULON = "35.05.12.2001", "35.05.13.2004"
DESK = {"role": "operator", "subject": "desk-1", "agency": None}
HER_VILLAGE = {"role": "village", "subject": "kades-1", "agency": None, "village": KADEMANGAN}
OTHER_VILLAGE = {"role": "village", "subject": "kades-2", "agency": None, "village": SANANKULON}
SCHEME = NumberFormat("560/{seq}/{type}/409.112/{year}")


def press(letter, worker, giver) -> bytes:
    return f"%PDF {letter.number} {giver['full_name'] if giver else '-'}".encode()


@pytest.fixture
def repository():
    return FakeLettersRepository()


def as_(repository, actor):
    return FakeUnitOfWork(repository, source=c.LETTERS, actor=actor)


def a_worker():
    worker = {
        "id": str(uuid.uuid4()),
        "full_name": "Siti Nur'aini binti Ahmad",
        "status": "registered",
        "placement_agency": "PT Sinar Jaya",
    }
    family = [{"id": str(uuid.uuid4()), "relation": "parent", "full_name": "Sumini"}]
    return worker, family


def requested(repository, worker, family, letter_type="family_permission"):
    body = {"letter_type": letter_type}
    if letter_type == "family_permission":
        body["village_code"] = KADEMANGAN
    uow = as_(repository, DESK)
    return uow.run(handlers.request_letter, worker["id"], body, NOW, worker, family), uow


def acknowledged(repository, letter, family, actor=HER_VILLAGE):
    body = {
        "decision": "acknowledged",
        "family_member_id": family[0]["id"],
        "given_on": "2026-12-01",
    }
    uow = as_(repository, actor)
    return uow.run(handlers.decide_family_permission, letter.id, body, NOW, TODAY, family), uow


def issued(repository, letter, worker, family):
    uow = as_(repository, DESK)
    return (
        uow.run(handlers.issue_letter, letter.id, NOW, TODAY, worker, family, SCHEME, press),
        uow,
    )


def test_a_passport_recommendation_is_refused_before_the_family_permission_and_issued_after(
    repository,
):
    worker, family = a_worker()
    with pytest.raises(NotEligible) as refused:
        requested(repository, worker, family, "passport_recommendation")
    assert [m["code"] for m in refused.value.details["missing"]] == [
        "family_permission_acknowledged"
    ]
    permission, uow = requested(repository, worker, family)
    assert [e["event_type"] for e in uow.published] == [c.LETTER_REQUESTED]
    acknowledged(repository, permission, family)
    passport, _ = requested(repository, worker, family, "passport_recommendation")
    assert passport.village_code == KADEMANGAN  # the village of its family permission
    done, uow = issued(repository, passport, worker, family)
    assert (done.status, done.number) == ("issued", "560/1/RP/409.112/2026")
    assert done.worker_initials == "S. N. A."
    assert [e["event_type"] for e in uow.published] == [c.LETTER_ISSUED]
    assert uow.published[0]["data"]["number"] == done.number


def test_only_the_workers_own_village_decides_on_her_family_permission(repository):
    worker, family = a_worker()
    permission, _ = requested(repository, worker, family)
    with pytest.raises(NotFound):
        acknowledged(repository, permission, family, OTHER_VILLAGE)
    assert handlers.list_letters(repository, {}, OTHER_VILLAGE) == []
    assert [x.id for x in handlers.list_letters(repository, {}, HER_VILLAGE)] == [permission.id]
    with pytest.raises(NotFound):
        handlers.get_letter(repository, permission.id, OTHER_VILLAGE)
    done, uow = acknowledged(repository, permission, family)
    assert (done.status, done.permission_giver_relation, done.decided_by) == (
        "acknowledged",
        "parent",
        "kades-1",
    )
    assert uow.published[0]["data"] == {
        "letter_id": permission.id,
        "letter_type": "family_permission",
        "decision": "acknowledged",
        "relation": "parent",
        "given_on": "2026-12-01",
    }


def test_issued_letters_of_a_type_take_consecutive_numbers_and_a_revoked_one_keeps_its_own(
    repository,
):
    numbers = []
    for _ in range(3):
        worker, family = a_worker()
        permission, _ = requested(repository, worker, family)
        with pytest.raises(TransitionRefused):
            issued(repository, permission, worker, family)  # waiting for the village
        acknowledged(repository, permission, family)
        numbers.append(issued(repository, permission, worker, family)[0].number)
    assert numbers == [f"560/{n}/IK/409.112/2026" for n in (1, 2, 3)]
    first = next(x for x in repository.letters.values() if x.number == numbers[0])
    assert first.pdf == f"%PDF {numbers[0]} Sumini".encode()
    uow = as_(repository, DESK)
    uow.run(handlers.revoke_letter, first.id, {"reason": "data keliru"}, NOW)
    assert uow.published[0]["data"]["number"] == numbers[0]
    check = handlers.check_letter(repository, first.verification_code.lower())
    assert (check["status"], check["number"]) == ("revoked", numbers[0])
    worker, family = a_worker()
    again, _ = requested(repository, worker, family)
    acknowledged(repository, again, family)
    assert issued(repository, again, worker, family)[0].number == "560/4/IK/409.112/2026"


def test_a_failed_issue_gives_its_number_back(repository):
    worker, family = a_worker()
    permission, _ = requested(repository, worker, family)
    acknowledged(repository, permission, family)

    def broken(*_):
        raise RuntimeError("the signing key is unreadable")

    with pytest.raises(RuntimeError):
        as_(repository, DESK).run(
            handlers.issue_letter, permission.id, NOW, TODAY, worker, family, SCHEME, broken
        )
    assert issued(repository, permission, worker, family)[0].number == "560/1/IK/409.112/2026"


def test_an_unknown_or_malformed_code_gets_the_same_answer_shape(repository):
    unknown = handlers.check_letter(repository, "ZZZZZZZZZZZZ")
    odd = handlers.check_letter(repository, "<script>")
    assert unknown["status"] == odd["status"] == "unknown"
    assert set(unknown) == set(odd)


def test_offline_the_confirmed_form_is_announced_as_the_villages_acknowledgement(repository):
    worker, family = a_worker()
    permission, _ = requested(repository, worker, family)
    scan = {
        "content_base64": "JVBERi0xLjQgc2Nhbg==",  # %PDF-1.4 scan
        "family_member_id": family[0]["id"],
        "given_on": "2026-12-01",
    }
    uow = as_(repository, DESK)
    uow.run(handlers.upload_family_permission_form, permission.id, scan, NOW, TODAY, family)
    assert uow.published == []  # not yet: a second officer confirms it
    second = as_(repository, {**DESK, "subject": "desk-2"})
    done = second.run(handlers.confirm_family_permission_form, permission.id, NOW)
    assert (done.status, done.form_scan, done.decided_by) == (
        "acknowledged",
        b"%PDF-1.4 scan",
        "desk-2",
    )
    assert [e["data"]["decision"] for e in second.published] == ["acknowledged"]


def test_a_family_permission_goes_to_the_village_on_the_workers_record_unless_named(repository):
    worker, family = a_worker()
    uow = as_(repository, DESK)
    body = {"letter_type": "family_permission"}
    with pytest.raises(InvalidInput) as refused:
        uow.run(handlers.request_letter, worker["id"], body, NOW, worker, family)
    assert set(refused.value.details) == {"village_code"}
    assert repository.of_worker(worker["id"]) == []  # refused: nothing kept

    worker["address"] = {"village": "Sanankulon", "village_code": SANANKULON, "regency": "Blitar"}
    letter = uow.run(handlers.request_letter, worker["id"], body, NOW, worker, family)
    assert letter.village_code == SANANKULON

    other, family = a_worker()
    other["address"] = {"village_code": SANANKULON, "regency": "Blitar"}
    named = {**body, "village_code": KADEMANGAN}  # the desk knows better than the record
    letter = uow.run(handlers.request_letter, other["id"], named, NOW, other, family)
    assert letter.village_code == KADEMANGAN
