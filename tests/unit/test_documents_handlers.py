"""The documents service's handlers over the fake repository and unit of work: each command's
effect and refusals (a refusal changes nothing and announces nothing), each event in order, out
of order and repeated, and each query."""

import base64
import copy
import datetime as dt
import hashlib
import uuid

import pytest

from pmi_common import contract as c
from pmi_common.errors import (
    AlreadyDecided,
    Forbidden,
    InvalidInput,
    NotFound,
    TransitionRefused,
)
from pmi_common.events import parse_event
from services.documents import handlers
from tests.events import REGISTERED_V2, envelope
from tests.unit.fakes import FakeUnitOfWork
from tests.unit.fakes.documents import FakeDocumentsRepository

NOW = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)  # 10:00 in Blitar
TODAY = dt.date(2026, 6, 1)
VERIFIER = {"role": "verifier", "agency": "ltsa-blitar", "subject": "desk-1"}
SECOND_VERIFIER = {**VERIFIER, "subject": "desk-2"}
OPERATOR = {"role": "operator", "agency": "ltsa-blitar", "subject": "op-7"}
PDF = b"%PDF-1.7\n% scanned at the LTSA desk\n"
EXPIRING = {"passport": "2031-01-31", "work_visa": "2028-05-31", "health_certificate": "2026-12-31"}


class Desk:
    """The service as its entrypoints drive it: each call one unit of work at a moment."""

    def __init__(self):
        self.repository = FakeDocumentsRepository()
        self.uow = FakeUnitOfWork(self.repository, source=c.DOCUMENTS)
        self.now, self.today = NOW, TODAY
        self.sequences: dict[str, int] = {}

    def advance(self, **delta) -> None:
        self.now += dt.timedelta(**delta)
        self.today = (self.now + dt.timedelta(hours=7)).date()

    def run(self, handler, *args, actor=None):
        self.uow.actor = actor
        return self.uow.run(handler, *args)

    # registration's events

    def hear(self, event_type, worker_id, data, sequence, version=None):
        event = parse_event(envelope(event_type, worker_id, data, sequence, version))
        return self.run(handlers.EVENTS[event_type], event, self.now)

    def register(self, worker_id=None, cycle=1, sequence=1, version=2):
        """``version`` 1: a registration from the history, before the birth year and village."""
        worker_id = str(uuid.uuid4()) if worker_id is None else worker_id
        self.hear(
            c.WORKER_REGISTERED,
            worker_id,
            {
                "nik_masked": "350512******0001",
                "nik_digest": "0" * 64,
                "full_name": "Siti Aminah",
                "sex": "F",
                "regency": "Blitar",
                "destination_country": "HK",
                "occupation": "caregiver",
                "placement_agency": "PT Sinar Jaya",
                "cycle": cycle,
                **(REGISTERED_V2 if version == 2 else {}),
            },
            sequence,
            version,
        )
        return worker_id

    def change_status(self, worker_id, to_status, sequence, cycle=1):
        return self.hear(
            c.WORKER_STATUS_CHANGED,
            worker_id,
            {
                "from_status": "registered",
                "to_status": to_status,
                "stage": "pre_departure",
                "reason": "test",
                "cycle": cycle,
            },
            sequence,
        )

    # the desk's commands

    def submit(self, worker_id, kind, actor=OPERATOR, **overrides):
        payload = {
            "type": kind,
            "number": f"{kind[:2].upper()}1234567",
            "issued_on": "2025-06-01",
            "expires_on": EXPIRING.get(kind),
            "file": scan(PDF + worker_id.encode()),
        }
        payload.update(overrides)
        return self.run(
            handlers.submit_document, worker_id, payload, self.now, self.today, actor=actor
        )

    def verify(self, document_id, actor=VERIFIER, payload=None):
        return self.run(
            handlers.verify_document, document_id, payload or {}, self.now, self.today, actor=actor
        )

    def reject(self, document_id, reason="the scan is unreadable", actor=VERIFIER):
        return self.run(
            handlers.reject_document,
            document_id,
            {"reason": reason},
            self.now,
            self.today,
            actor=actor,
        )

    def expire(self, batch=handlers.EXPIRY_BATCH):
        return self.run(handlers.expire_documents, self.now, self.today, batch)

    def complete_checklist(self, worker_id):
        return {kind: self.verify(self.submit(worker_id, kind).id) for kind in c.DOCUMENT_TYPES}

    # what the desk sees

    def checklist(self, worker_id):
        return handlers.get_checklist(self.repository, worker_id, self.today)

    def status_of(self, worker_id, kind):
        return dict((i["type"], i["status"]) for i in self.checklist(worker_id)["items"])[kind]

    def queue(self, **query):
        return handlers.desk_queue(self.repository, query)

    def published(self, event_type=None):
        return [
            e for e in self.uow.published if event_type is None or e["event_type"] == event_type
        ]


def scan(content=PDF):
    return {"content_base64": base64.b64encode(content).decode(), "filename": "scan.pdf"}


@pytest.fixture
def desk():
    return Desk()


def unchanged(desk, action, error):
    """``action`` is refused with ``error`` and leaves the state and the outbox as they were."""
    before, published = copy.deepcopy(desk.repository.__dict__), len(desk.uow.published)
    with pytest.raises(error) as refused:
        action()
    assert _state(desk.repository.__dict__) == _state(before)
    assert len(desk.uow.published) == published
    return refused.value


def _state(stored):
    return {
        name: {key: vars_of(value) for key, value in objects.items()}
        for name, objects in stored.items()
    }


def vars_of(value):
    return {k: v for k, v in vars(value).items() if not k.startswith("_sa_")}


# submissions ----------------------------------------------------------------------------------


def test_a_submission_is_stored_in_the_checklist_and_announced_with_its_number_masked(desk):
    worker_id = desk.register()
    document = desk.submit(worker_id, "passport", number="X1234567", file=scan())

    assert (document.status, document.worker_id, document.submitted_by) == (
        "submitted",
        worker_id,
        "op-7",
    )
    assert document.submitted_at == NOW and document.awaiting_decision
    assert document.file_sha256 == hashlib.sha256(PDF).hexdigest()
    assert desk.repository.get_scan(document.file_sha256).content == PDF
    assert desk.status_of(worker_id, "passport") == "submitted"
    [event] = desk.published(c.DOCUMENT_SUBMITTED)
    assert event["worker_id"] == worker_id and event["sequence"] == 1
    assert event["data"]["number_masked"] == "*****567"
    assert event["data"]["checklist_complete"] is False
    assert "X1234567" not in str(event)


def test_a_submission_for_an_unknown_worker_is_refused_and_changes_nothing(desk):
    desk.register()
    unchanged(desk, lambda: desk.submit(str(uuid.uuid4()), "passport"), NotFound)
    unchanged(desk, lambda: desk.submit("not-an-id", "passport"), NotFound)


def test_senseless_input_is_refused_with_the_reason_and_changes_nothing(desk):
    worker_id = desk.register()
    refused = unchanged(
        desk,
        lambda: desk.submit(
            worker_id, "work_visa", issued_on="2026-03-01", expires_on="2026-02-01"
        ),
        InvalidInput,
    )
    assert "must be after issued_on (2026-03-01)" in refused.details["expires_on"]
    refused = unchanged(
        desk,
        lambda: desk.submit(worker_id, "passport", file=scan(b"GIF89a not a pdf")),
        InvalidInput,
    )
    assert "PDF, JPEG or PNG" in refused.details["file"][0]
    unchanged(desk, lambda: desk.submit(worker_id, "visa_of_the_moon"), InvalidInput)


def test_a_withdrawn_worker_gets_no_more_submissions(desk):
    worker_id = desk.register()
    desk.change_status(worker_id, "withdrawn", sequence=2)
    unchanged(desk, lambda: desk.submit(worker_id, "passport"), TransitionRefused)


def test_the_same_submission_again_while_it_waits_is_the_first_one(desk):
    worker_id = desk.register()
    first = desk.submit(worker_id, "placement_agreement", file=scan())
    again = desk.submit(worker_id, "placement_agreement", file=scan())
    assert again is first
    assert len(desk.repository.documents) == 1
    assert len(desk.published(c.DOCUMENT_SUBMITTED)) == 1


def test_a_resubmission_replaces_the_previous_one_in_the_checklist_and_the_queue(desk):
    worker_id = desk.register()
    first = desk.submit(worker_id, "passport", number="X1111111")
    second = desk.submit(worker_id, "passport", number="X2222222")

    assert second.replaces == first.id and first.replaced_by == second.id
    assert not first.in_checklist and not first.awaiting_decision
    assert desk.checklist(worker_id)["items"][4]["document"] is second
    assert [d.id for d in desk.queue()[0]] == [second.id]


def test_one_workers_scan_is_refused_for_another_and_a_scan_is_kept_once(desk):
    first, second = desk.register(), desk.register()
    desk.submit(first, "passport", file=scan())
    desk.submit(first, "employment_contract", file=scan())
    assert len(desk.repository.scans) == 1
    refused = unchanged(desk, lambda: desk.submit(second, "passport", file=scan()), InvalidInput)
    assert "another worker" in refused.details["file"][0]


def test_a_scan_is_given_under_its_own_worker_only(desk):
    her, other = desk.register(), desk.register()
    document = desk.submit(her, "passport", file=scan())

    assert handlers.get_document_file(desk.repository, document.id, her).content == PDF
    assert handlers.get_document_file(desk.repository, document.id).content == PDF  # the desk's
    with pytest.raises(NotFound):
        handlers.get_document_file(desk.repository, document.id, other)


# decisions ------------------------------------------------------------------------------------


def test_a_verification_is_recorded_and_announced(desk):
    worker_id = desk.register()
    document = desk.submit(worker_id, "passport")
    desk.advance(hours=1)
    verified = desk.verify(document.id, payload={"note": "matches the scan"})

    assert (verified.status, verified.decided_by, verified.note) == (
        "verified",
        "desk-1",
        "matches the scan",
    )
    assert verified.decision_seconds == 3600 and not verified.awaiting_decision
    [event] = desk.published(c.DOCUMENT_VERIFIED)
    assert event["data"] == {
        "document_id": document.id,
        "document_type": "passport",
        "checklist_complete": False,
        "expires_on": "2031-01-31",
    }


def test_the_last_verification_completes_the_checklist_and_is_announced_once(desk):
    worker_id = desk.register()
    verified = desk.complete_checklist(worker_id)

    assert desk.checklist(worker_id)["complete"] is True
    assert desk.repository.get_worker(worker_id).documents_complete
    [completed] = desk.published(c.DOCUMENTS_COMPLETED)
    assert completed is desk.published()[-1] and completed["sequence"] == 17
    assert completed["data"]["document_ids"] == [verified[k].id for k in c.DOCUMENT_TYPES]
    assert completed["data"]["earliest_expiry"] == "2026-12-31"
    flags = [e["data"]["checklist_complete"] for e in desk.published(c.DOCUMENT_VERIFIED)]
    assert flags == [False] * 7 + [True]


def test_a_resubmission_and_its_rejection_take_a_complete_worker_back(desk):
    worker_id = desk.register()
    desk.complete_checklist(worker_id)
    renewed = desk.submit(worker_id, "employment_contract", number="PK-2026-0099")
    desk.reject(renewed.id, reason="not signed by the employer")

    assert desk.checklist(worker_id)["complete"] is False
    assert [(e["event_type"], e["data"]["checklist_complete"]) for e in desk.published()[17:]] == [
        (c.DOCUMENT_SUBMITTED, False),
        (c.DOCUMENT_REJECTED, False),
    ]
    assert len(desk.published(c.DOCUMENTS_COMPLETED)) == 1


def test_a_rejection_needs_a_reason_and_is_announced_with_it(desk):
    worker_id = desk.register()
    document = desk.submit(worker_id, "health_certificate")
    refused = unchanged(
        desk,
        lambda: desk.run(handlers.reject_document, document.id, {}, NOW, TODAY, actor=VERIFIER),
        InvalidInput,
    )
    assert "reason" in refused.details

    rejected = desk.reject(document.id, reason="stamp of the clinic missing")
    assert (rejected.status, rejected.reason, rejected.decided_by) == (
        "rejected",
        "stamp of the clinic missing",
        "desk-1",
    )
    assert desk.status_of(worker_id, "health_certificate") == "rejected"
    [event] = desk.published(c.DOCUMENT_REJECTED)
    assert event["data"]["reason"] == "stamp of the clinic missing"


def test_only_a_verifier_decides(desk):
    worker_id = desk.register()
    document = desk.submit(worker_id, "health_certificate")
    unchanged(desk, lambda: desk.verify(document.id, actor=OPERATOR), Forbidden)
    unchanged(desk, lambda: desk.reject(document.id, actor=OPERATOR), Forbidden)
    assert desk.verify(document.id, actor=None).decided_by is None  # a call between services


def test_the_submitter_cannot_decide_on_their_own_document(desk):
    worker_id = desk.register()
    document = desk.submit(worker_id, "passport", actor=VERIFIER)
    unchanged(desk, lambda: desk.verify(document.id, actor=VERIFIER), Forbidden)
    unchanged(desk, lambda: desk.reject(document.id, actor=VERIFIER), Forbidden)
    decided = desk.verify(document.id, actor=SECOND_VERIFIER)
    assert (decided.submitted_by, decided.decided_by) == ("desk-1", "desk-2")


def test_a_document_without_its_scan_cannot_be_verified_only_rejected(desk):
    worker_id = desk.register()
    document = desk.submit(worker_id, "health_certificate", file=None)
    unchanged(desk, lambda: desk.verify(document.id), TransitionRefused)
    assert desk.reject(document.id, reason="no scan was attached").status == "rejected"


def test_a_decided_or_replaced_document_is_not_decided_again(desk):
    worker_id = desk.register()
    decided = desk.submit(worker_id, "family_permission_letter")
    desk.verify(decided.id)
    unchanged(desk, lambda: desk.verify(decided.id), AlreadyDecided)
    unchanged(desk, lambda: desk.reject(decided.id), AlreadyDecided)
    replaced = desk.submit(worker_id, "passport", number="X1111111")
    desk.submit(worker_id, "passport", number="X2222222")
    with pytest.raises(AlreadyDecided, match="replaced"):
        desk.verify(replaced.id)


def test_a_document_that_lapsed_while_waiting_cannot_be_verified(desk):
    worker_id = desk.register()
    waiting = desk.submit(worker_id, "health_certificate")
    desk.advance(days=250)
    unchanged(desk, lambda: desk.verify(waiting.id), TransitionRefused)
    assert desk.reject(waiting.id, reason="expired").status == "rejected"


def test_deciding_on_an_unknown_document_is_not_found(desk):
    unchanged(desk, lambda: desk.verify(str(uuid.uuid4())), NotFound)
    unchanged(desk, lambda: desk.reject("not-an-id"), NotFound)


# expiry ---------------------------------------------------------------------------------------


def test_the_expiry_check_expires_lapsed_documents_once_and_takes_the_worker_back(desk):
    worker_id = desk.register()
    verified = desk.complete_checklist(worker_id)
    assert desk.expire() == 0

    desk.advance(days=214)  # 2027-01-01 in Blitar: the health certificate lapsed yesterday
    assert desk.expire() == 1
    assert desk.expire() == 0

    health = desk.repository.get_document(verified["health_certificate"].id)
    assert (health.status, health.expired_at) == ("expired", desk.now)
    assert desk.status_of(worker_id, "health_certificate") == "expired"
    assert not desk.repository.get_worker(worker_id).documents_complete
    [expired] = desk.published(c.DOCUMENT_EXPIRED)
    assert expired["data"] == {
        "document_id": health.id,
        "document_type": "health_certificate",
        "checklist_complete": False,
        "expired_on": "2026-12-31",
    }


def test_the_expiry_check_takes_a_batch_of_workers_at_a_time(desk):
    first, second = desk.register(), desk.register()
    for worker_id in (first, second):
        desk.verify(desk.submit(worker_id, "work_visa").id)
        desk.verify(desk.submit(worker_id, "passport").id)
    desk.advance(days=365 * 6)  # both visas and both passports lapsed

    assert desk.expire(batch=1) == 2  # every due document of the worker the batch took
    assert desk.expire(batch=1) == 2
    assert desk.expire(batch=1) == 0
    expired = [
        (e["worker_id"], e["data"]["document_type"]) for e in desk.published(c.DOCUMENT_EXPIRED)
    ]
    assert sorted(expired) == sorted(
        [(w, k) for w in (first, second) for k in ("work_visa", "passport")]
    )
    assert [kind for worker, kind in expired if worker == first] == ["work_visa", "passport"]


# documents abroad -----------------------------------------------------------------------------


def departed(desk):
    """A worker whose checklist was complete, now abroad."""
    worker_id = desk.register()
    desk.complete_checklist(worker_id)
    desk.change_status(worker_id, "departed", sequence=5)
    return worker_id


def test_a_passport_renewed_abroad_is_submitted_with_its_scan_and_verified_by_a_second_person(
    desk,
):
    worker_id = departed(desk)
    renewal = desk.submit(
        worker_id, "passport", number="C9876543", expires_on="2036-05-31", actor=VERIFIER
    )
    assert [d.id for d in desk.queue()[0]] == [renewal.id]
    assert desk.status_of(worker_id, "passport") == "submitted"
    unchanged(desk, lambda: desk.verify(renewal.id, actor=VERIFIER), Forbidden)

    desk.verify(renewal.id, actor=SECOND_VERIFIER)

    assert desk.status_of(worker_id, "passport") == "verified"
    assert desk.checklist(worker_id)["complete"] is True
    assert desk.published(c.DOCUMENT_VERIFIED)[-1]["data"]["document_id"] == renewal.id
    assert len(desk.published(c.DOCUMENTS_COMPLETED)) == 2  # before departure, and again now


def test_a_renewal_abroad_without_its_scan_is_only_rejected_like_before_departure(desk):
    worker_id = departed(desk)
    unscanned = desk.submit(worker_id, "work_visa", number="V7654321", file=None)
    unchanged(desk, lambda: desk.verify(unscanned.id), TransitionRefused)
    desk.reject(unscanned.id, reason="the scan is missing")
    assert desk.status_of(worker_id, "work_visa") == "rejected"


def test_abroad_the_other_documents_are_refused_with_the_reason(desk):
    worker_id = departed(desk)
    refused = unchanged(
        desk, lambda: desk.submit(worker_id, "employment_contract"), TransitionRefused
    )
    assert "only a passport or a work visa" in str(refused)
    desk.change_status(worker_id, "returned", sequence=6)
    unchanged(desk, lambda: desk.submit(worker_id, "passport"), TransitionRefused)


def test_a_passport_submitted_before_departure_still_waits_for_the_desk_abroad(desk):
    worker_id = desk.register()
    desk.change_status(worker_id, "documents_verified", sequence=2)
    passport = desk.submit(worker_id, "passport", number="C1111111")
    letter = desk.submit(worker_id, "marital_status_letter")
    desk.change_status(worker_id, "departed", sequence=3)
    assert [d.id for d in desk.queue()[0]] == [passport.id]
    assert not letter.awaiting_decision


def test_a_visa_lapsing_abroad_warns_the_desk_and_the_worker_is_not_taken_back(desk):
    worker_id = departed(desk)
    desk.advance(days=732)  # 2028-06-02 in Blitar: the health certificate and the visa lapsed

    assert desk.expire() == 2

    assert sorted(e["data"]["document_type"] for e in desk.published(c.DOCUMENT_EXPIRED)) == [
        "health_certificate",
        "work_visa",
    ]
    [warning] = desk.published(c.DOCUMENT_LAPSED_ABROAD)
    visa = desk.checklist(worker_id)["items"][5]["document"]
    assert warning["worker_id"] == worker_id
    assert warning["data"] == {
        "document_id": visa.id,
        "document_type": "work_visa",
        "expired_on": "2028-05-31",
    }
    assert desk.repository.get_worker(worker_id).status == "departed"

    renewal = desk.submit(worker_id, "work_visa", number="V2222222", expires_on="2030-05-31")
    desk.verify(renewal.id)
    assert desk.status_of(worker_id, "work_visa") == "verified"


def test_a_lapse_before_departure_is_no_warning(desk):
    worker_id = desk.register()
    desk.verify(desk.submit(worker_id, "work_visa").id)
    desk.advance(days=732)
    assert desk.expire() == 1
    assert desk.published(c.DOCUMENT_LAPSED_ABROAD) == []


def warn(desk):
    return desk.run(handlers.warn_of_expiry, desk.today)


def test_a_visa_abroad_is_announced_60_then_30_days_before_it_lapses_once_each(desk):
    worker_id = departed(desk)
    desk.advance(days=674)  # 2028-04-05 in Blitar: the visa (2028-05-31) lapses in 56 days
    assert warn(desk) == 1
    assert warn(desk) == 0  # announced once, however often the check runs
    desk.advance(days=30)  # 2028-05-05: 26 days left
    assert warn(desk) == 1
    desk.advance(days=20)
    assert warn(desk) == 0
    first, second = desk.published(c.DOCUMENT_EXPIRING)
    visa = desk.checklist(worker_id)["items"][5]["document"]
    assert first["worker_id"] == worker_id
    assert first["data"] == {
        "document_id": visa.id,
        "document_type": "work_visa",
        "expires_on": "2028-05-31",
        "days_left": 56,
        "warning_days": 60,
        "abroad": True,
    }
    assert (second["data"]["days_left"], second["data"]["warning_days"]) == (26, 30)


def test_a_passport_first_seen_25_days_from_its_expiry_gets_only_the_30_days_warning(desk):
    worker_id = desk.register()
    passport = desk.submit(worker_id, "passport", expires_on="2026-06-26")
    desk.verify(passport.id)
    assert warn(desk) == 1
    [warning] = desk.published(c.DOCUMENT_EXPIRING)
    assert warning["data"]["warning_days"] == 30 and warning["data"]["abroad"] is False
    assert warn(desk) == 0


def test_no_lapse_warning_for_other_documents_far_expiries_or_a_worker_withdrawn(desk):
    worker_id = desk.register()
    desk.verify(desk.submit(worker_id, "health_certificate", expires_on="2026-06-20").id)
    desk.verify(desk.submit(worker_id, "passport", expires_on="2026-09-01").id)  # 92 days
    assert warn(desk) == 0
    withdrawn = desk.register()
    desk.verify(desk.submit(withdrawn, "work_visa", expires_on="2026-06-20").id)
    desk.change_status(withdrawn, "withdrawn", sequence=2)
    assert warn(desk) == 0
    assert desk.published(c.DOCUMENT_EXPIRING) == []


def test_a_lapse_warning_is_a_domain_rule_of_the_nearest_warning_not_yet_given():
    from services.documents.domain import expiry_warning

    today = dt.date(2026, 6, 1)
    in_days = lambda n: today + dt.timedelta(days=n)  # noqa: E731
    assert expiry_warning("passport", "registered", in_days(61), today, None) is None
    assert expiry_warning("passport", "registered", in_days(60), today, None) == 60
    assert expiry_warning("passport", "departed", in_days(31), today, 60) is None
    assert expiry_warning("passport", "departed", in_days(30), today, 60) == 30
    assert expiry_warning("passport", "departed", in_days(10), today, 30) is None
    assert expiry_warning("passport", "departed", in_days(0), today, None) == 30
    assert expiry_warning("passport", "departed", in_days(-1), today, None) is None
    assert expiry_warning("passport", "returned", in_days(10), today, None) is None
    assert expiry_warning("health_certificate", "registered", in_days(10), today, None) is None


# events from the registration service ---------------------------------------------------------


def lapsed(desk, **query):
    found, cursor = handlers.desk_lapsed_abroad(desk.repository, query)
    return [(d.worker_id, d.document_type, d.expires_on.isoformat()) for d in found], cursor


def test_the_desk_lists_documents_lapsed_abroad_until_a_renewal_is_verified(desk):
    first, second = departed(desk), departed(desk)
    at_home = desk.register()
    desk.verify(desk.submit(at_home, "work_visa").id)
    desk.advance(days=732)  # the visas lapsed on 2028-05-31
    desk.expire()

    listed, cursor = lapsed(desk)
    visas = {w: desk.checklist(w)["items"][5]["document"].id for w in (first, second)}
    by_id = sorted(visas, key=visas.get, reverse=True)  # the same day: the last id first
    assert listed == [(w, "work_visa", "2028-05-31") for w in by_id] and cursor is None
    page_one, cursor = lapsed(desk, limit=1)
    page_two, end = lapsed(desk, limit=1, cursor=cursor)
    assert page_one + page_two == listed and end is None

    renewal = desk.submit(first, "work_visa", number="V2222222", expires_on="2030-05-31")
    desk.reject(renewal.id)
    assert len(lapsed(desk)[0]) == 2  # a renewal refused is no renewal
    renewal = desk.submit(first, "work_visa", number="V3333333", expires_on="2030-05-31")
    assert len(lapsed(desk)[0]) == 2  # nor one waiting for the desk
    desk.verify(renewal.id)
    assert lapsed(desk)[0] == [(second, "work_visa", "2028-05-31")]

    desk.change_status(second, "returned", sequence=6)  # home: the desk abroad is done
    desk.advance(days=1000)  # 2031-02-27: the renewal and first's passport lapsed too
    desk.expire()
    assert lapsed(desk)[0] == [
        (first, "passport", "2031-01-31"),
        (first, "work_visa", "2030-05-31"),
    ]
    with pytest.raises(InvalidInput):
        lapsed(desk, cursor="not-a-cursor")


@pytest.mark.parametrize("version", [1, 2], ids=["from_the_history", "today"])
def test_a_registered_worker_is_known_with_eight_missing_documents(desk, version):
    worker_id = desk.register(sequence=1, version=version)
    worker = desk.repository.get_worker(worker_id)
    assert (worker.cycle, worker.status, worker.sequence, worker.known_since) == (
        1,
        "registered",
        1,
        NOW,
    )
    checklist = desk.checklist(worker_id)
    assert checklist["complete"] is False
    assert [(i["type"], i["status"], i["document"]) for i in checklist["items"]] == [
        (kind, "missing", None) for kind in c.DOCUMENT_TYPES
    ]
    assert handlers.knows_worker(desk.repository, worker_id)
    assert desk.uow.published == []


def test_the_same_event_again_changes_nothing(desk):
    worker_id = desk.register(sequence=1)
    desk.change_status(worker_id, "withdrawn", sequence=2)
    before = vars_of(desk.repository.get_worker(worker_id))
    desk.advance(minutes=1)
    desk.register(worker_id, sequence=1)
    desk.change_status(worker_id, "withdrawn", sequence=2)
    after = vars_of(desk.repository.get_worker(worker_id))
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }


def test_a_word_older_than_the_one_kept_changes_nothing(desk):
    worker_id = str(uuid.uuid4())
    desk.change_status(worker_id, "documents_verified", sequence=4)  # heard first
    desk.register(worker_id, sequence=1)
    desk.change_status(worker_id, "registered", sequence=3)
    worker = desk.repository.get_worker(worker_id)
    assert (worker.status, worker.sequence) == ("documents_verified", 4)


def test_a_withdrawn_workers_submissions_leave_the_desk_queue(desk):
    worker_id = desk.register()
    pending = desk.submit(worker_id, "competency_certificate")
    desk.change_status(worker_id, "withdrawn", sequence=3)
    assert desk.queue()[0] == [] and not pending.awaiting_decision
    unchanged(desk, lambda: desk.verify(pending.id), TransitionRefused)
    desk.change_status(worker_id, "registered", sequence=2)  # late: changes nothing
    assert desk.queue()[0] == []


def test_submissions_come_back_to_the_queue_when_the_worker_takes_documents_again(desk):
    worker_id = desk.register()
    desk.change_status(worker_id, "documents_verified", sequence=2)
    pending = desk.submit(worker_id, "competency_certificate")
    desk.change_status(worker_id, "departed", sequence=3)
    assert not pending.awaiting_decision
    desk.change_status(worker_id, "cleared_for_departure", sequence=4)
    assert [d.id for d in desk.queue()[0]] == [pending.id]


def test_a_new_registration_cycle_starts_an_empty_checklist(desk):
    worker_id = desk.register()
    first = desk.submit(worker_id, "passport")
    desk.verify(desk.submit(worker_id, "work_visa").id)
    desk.change_status(worker_id, "withdrawn", sequence=5)
    desk.register(worker_id, cycle=2, sequence=9)

    assert desk.status_of(worker_id, "passport") == "missing"
    assert not first.in_checklist and not first.awaiting_decision
    assert desk.queue()[0] == []
    with pytest.raises(AlreadyDecided, match="earlier registration"):
        desk.verify(first.id)
    assert desk.submit(worker_id, "passport").replaces is None
    desk.change_status(worker_id, "withdrawn", sequence=6, cycle=1)  # the old cycle, late
    assert desk.repository.get_worker(worker_id).status == "registered"


def test_a_worker_event_without_a_worker_is_refused(desk):
    with pytest.raises(InvalidInput, match="without a worker_id"):
        desk.register(worker_id="")
    with pytest.raises(InvalidInput, match="without a worker_id"):
        desk.change_status("", "withdrawn", sequence=2)
    assert desk.uow.published == []
    assert desk.repository.workers == {}


# queries --------------------------------------------------------------------------------------


def test_the_checklist_of_an_unknown_worker_is_not_found(desk):
    for worker_id in (str(uuid.uuid4()), "not-an-id"):
        with pytest.raises(NotFound):
            desk.checklist(worker_id)
        assert not handlers.knows_worker(desk.repository, worker_id)


def test_a_verified_document_past_its_expiry_shows_expired_before_the_check_runs(desk):
    worker_id = desk.register()
    desk.verify(desk.submit(worker_id, "health_certificate").id)
    desk.advance(days=214)
    assert desk.status_of(worker_id, "health_certificate") == "expired"


def test_a_document_and_its_scan_are_found_by_id(desk):
    worker_id = desk.register()
    document = desk.submit(worker_id, "passport", file=scan())
    bare = desk.submit(worker_id, "work_visa", file=None)

    assert handlers.get_document(desk.repository, document.id) is document
    stored = handlers.get_document_file(desk.repository, document.id)
    assert (stored.content, stored.media_type, stored.size) == (PDF, "application/pdf", len(PDF))
    with pytest.raises(NotFound, match="has no scan"):
        handlers.get_document_file(desk.repository, bare.id)
    for unknown in (str(uuid.uuid4()), "not-an-id"):
        with pytest.raises(NotFound):
            handlers.get_document(desk.repository, unknown)
        with pytest.raises(NotFound):
            handlers.get_document_file(desk.repository, unknown)


def test_the_desk_queue_shows_waiting_documents_oldest_first_by_type_in_pages(desk):
    first, second = desk.register(), desk.register()
    submitted = []
    for worker_id, kind in [
        (first, "passport"),
        (second, "passport"),
        (first, "work_visa"),
        (second, "marital_status_letter"),
    ]:
        submitted.append(desk.submit(worker_id, kind))
        desk.advance(minutes=5)
    desk.verify(submitted[2].id)

    waiting, cursor = desk.queue()
    assert [d.id for d in waiting] == [submitted[i].id for i in (0, 1, 3)] and cursor is None
    passports, cursor = desk.queue(type="passport", limit=1)
    assert [d.id for d in passports] == [submitted[0].id]
    rest, last = desk.queue(type="passport", cursor=cursor)
    assert [d.id for d in rest] == [submitted[1].id] and last is None
    with pytest.raises(InvalidInput):
        desk.queue(cursor="not-a-cursor")
    with pytest.raises(InvalidInput):
        desk.queue(limit=0)


def test_the_desk_stats_show_the_backlog_and_how_long_decisions_take(desk):
    worker_id = desk.register()
    old = desk.submit(worker_id, "employment_contract")
    desk.verify(old.id)  # decided 31 days before the figures: outside the window
    desk.advance(days=31)
    start = desk.now
    waiting = [
        desk.submit(worker_id, kind) for kind in ("passport", "work_visa", "health_certificate")
    ]
    desk.advance(hours=1)
    desk.verify(waiting[0].id)
    desk.advance(hours=1)
    desk.reject(waiting[1].id)

    stats = handlers.desk_stats(desk.repository, desk.now)
    assert stats["backlog"] == {**dict.fromkeys(c.DOCUMENT_TYPES, 0), "health_certificate": 1}
    assert stats["oldest_waiting_since"] == start.isoformat()
    assert stats["decisions"] == 2
    assert stats["median_decision_seconds"] == pytest.approx(5400)
    assert stats["p90_decision_seconds"] == pytest.approx(3600 + 0.9 * 3600)
    assert stats["window_days"] == 30
    assert stats["by_type"]["passport"] == {
        "backlog": 0,
        "decisions": 1,
        "median_decision_seconds": pytest.approx(3600),
        "p90_decision_seconds": pytest.approx(3600),
    }
    assert stats["by_type"]["employment_contract"]["decisions"] == 0
    assert stats["by_type"]["health_certificate"] == {
        "backlog": 1,
        "decisions": 0,
        "median_decision_seconds": None,
        "p90_decision_seconds": None,
    }


def test_every_handler_is_listed_once_in_the_service_tables():
    listed = [*handlers.COMMANDS.values(), *handlers.QUERIES.values(), *handlers.EVENTS.values()]
    public = [
        value
        for name, value in vars(handlers).items()
        if callable(value)
        and getattr(value, "__module__", None) == handlers.__name__
        and not name.startswith("_")
    ]
    assert sorted(f.__name__ for f in listed) == sorted(f.__name__ for f in public)
    assert set(handlers.EVENTS) == {c.WORKER_REGISTERED, c.WORKER_STATUS_CHANGED}
