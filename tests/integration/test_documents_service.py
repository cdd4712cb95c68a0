"""The documents service on the real broker and database: checklist, submissions, decisions."""

import base64
import datetime as dt
import uuid

import pytest
from nameko.testing.services import entrypoint_hook
from sqlalchemy import create_engine, text

from pmi_common import contract as c
from pmi_common.clock import Clock, FixedClock
from pmi_common.errors import (
    AlreadyDecided,
    Forbidden,
    InvalidInput,
    NotFound,
    TransitionRefused,
)
from services.documents.service import DocumentsService
from tests.events import REGISTERED_V2, envelope, publish
from tests.helpers import Subscriber, wait_for

NOW = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)  # 10:00 in Blitar
VERIFIER = {"actor_role": "verifier", "actor_agency": "ltsa-blitar", "actor_subject": "desk-1"}
OPERATOR = {"actor_role": "operator", "actor_agency": "ltsa-blitar", "actor_subject": "op-7"}
PDF = b"%PDF-1.7\n% scanned at the LTSA desk\n"
EXPIRING = {"passport": "2031-01-31", "work_visa": "2028-05-31", "health_certificate": "2026-12-31"}


@pytest.fixture
def clock():
    return FixedClock(NOW)


@pytest.fixture
def documents(container_factory, config_for, clock):
    container = container_factory(DocumentsService, config_for("documents"))
    set_clock(container, clock)
    container.start()
    return container


@pytest.fixture
def agency(rabbit_config):
    subscriber = Subscriber(rabbit_config["AMQP_URI"], c.exchange_name(c.DOCUMENTS))
    yield subscriber
    subscriber.close()


@pytest.fixture
def database(database_urls):
    engine = create_engine(database_urls["documents"])
    yield engine
    engine.dispose()


def set_clock(container, clock):
    next(d for d in container.dependencies if isinstance(d, Clock)).clock = clock


def call(container, method, *args, actor=None):
    with entrypoint_hook(container, method, context_data=actor) as hook:
        return hook(*args)


def known(container, worker_id):
    try:
        return call(container, "get_checklist", worker_id)
    except NotFound:
        return None


def register(container, amqp_uri, worker_id=None, cycle=1, sequence=1):
    worker_id = worker_id or str(uuid.uuid4())
    publish(
        amqp_uri,
        envelope(
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
                **REGISTERED_V2,
            },
            sequence=sequence,
        ),
    )
    wait_for(lambda: known(container, worker_id), message="the worker to be known")
    return worker_id


def change_status(container, amqp_uri, worker_id, to_status, sequence, cycle=1):
    publish(
        amqp_uri,
        envelope(
            c.WORKER_STATUS_CHANGED,
            worker_id,
            {
                "from_status": "registered",
                "to_status": to_status,
                "stage": "pre_departure",
                "reason": "test",
                "cycle": cycle,
            },
            sequence=sequence,
        ),
    )


def submission(kind, **overrides):
    payload = {
        "type": kind,
        "number": f"{kind[:2].upper()}1234567",
        "issued_on": "2025-06-01",
        "expires_on": EXPIRING.get(kind),
    }
    payload.update(overrides)
    return payload


def scan(content=PDF):
    return {"content_base64": base64.b64encode(content).decode(), "filename": "scan.pdf"}


def submit(container, worker_id, kind, actor=OPERATOR, **overrides):
    """As the desk submits: by an operator, with the worker's scan unless told otherwise."""
    overrides.setdefault("file", scan(PDF + worker_id.encode()))
    return call(container, "submit_document", worker_id, submission(kind, **overrides), actor=actor)


def verify(container, document_id, actor=VERIFIER):
    return call(container, "verify_document", document_id, {}, actor=actor)


def reject(container, document_id, reason="the scan is unreadable", actor=VERIFIER):
    return call(container, "reject_document", document_id, {"reason": reason}, actor=actor)


def complete_checklist(container, worker_id):
    return {
        kind: verify(container, submit(container, worker_id, kind)["id"])
        for kind in c.DOCUMENT_TYPES
    }


def count(engine, sql):
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


def of_type(messages, event_type):
    return [m for m in messages if m["event_type"] == event_type]


# the checklist and who exists ------------------------------------------------------------------


def test_a_registered_worker_starts_with_eight_missing_documents(documents, rabbit_config):
    worker_id = register(documents, rabbit_config["AMQP_URI"])
    checklist = call(documents, "get_checklist", worker_id)
    assert checklist["complete"] is False
    assert [(i["type"], i["status"], i["document"]) for i in checklist["items"]] == [
        (kind, "missing", None) for kind in c.DOCUMENT_TYPES
    ]


def test_documents_for_an_unknown_worker_are_refused_and_nothing_is_stored(documents, database):
    with pytest.raises(NotFound):
        submit(documents, str(uuid.uuid4()), "passport")
    with pytest.raises(NotFound):
        call(documents, "get_checklist", str(uuid.uuid4()))
    assert count(database, "SELECT count(*) FROM documents") == 0
    assert count(database, "SELECT count(*) FROM outbox") == 0


def test_a_new_registration_cycle_starts_an_empty_checklist(documents, rabbit_config):
    amqp = rabbit_config["AMQP_URI"]
    worker_id = register(documents, amqp)
    first = submit(documents, worker_id, "passport")
    change_status(documents, amqp, worker_id, "withdrawn", sequence=5)
    register(documents, amqp, worker_id, cycle=2, sequence=9)
    wait_for(
        lambda: call(documents, "get_checklist", worker_id)["items"][4]["status"] == "missing",
        message="a fresh checklist",
    )
    with pytest.raises(AlreadyDecided, match="earlier registration"):
        verify(documents, first["id"])
    assert call(documents, "desk_queue", {})["items"] == []
    assert submit(documents, worker_id, "passport")["replaces"] is None


# submissions -----------------------------------------------------------------------------------


def test_a_submission_is_stored_and_announced_with_its_number_masked(
    documents, rabbit_config, agency
):
    worker_id = register(documents, rabbit_config["AMQP_URI"])
    document = submit(documents, worker_id, "passport", number="X1234567", file=scan())

    assert document["status"] == "submitted" and document["worker_id"] == worker_id
    assert document["submitted_at"].startswith("2026-06-01T03:00")
    item = call(documents, "get_checklist", worker_id)["items"][4]
    assert item["type"] == "passport" and item["status"] == "submitted"
    assert item["document"]["id"] == document["id"]
    [event] = agency.wait_for(lambda msgs: of_type(msgs, c.DOCUMENT_SUBMITTED))
    assert event["worker_id"] == worker_id and event["sequence"] == 1
    assert event["data"]["number_masked"] == "*****567"
    assert event["data"]["checklist_complete"] is False
    assert event["data"]["file_sha256"] == document["file_sha256"]
    assert "X1234567" not in str(event)


def test_senseless_dates_are_refused_with_the_reason_and_change_nothing(
    documents, rabbit_config, database
):
    worker_id = register(documents, rabbit_config["AMQP_URI"])
    with pytest.raises(InvalidInput) as refused:
        submit(documents, worker_id, "work_visa", issued_on="2026-03-01", expires_on="2026-02-01")
    assert "must be after issued_on (2026-03-01)" in refused.value.details["expires_on"]
    with pytest.raises(InvalidInput) as refused:
        submit(documents, worker_id, "marital_status_letter", issued_on="2026-06-02")
    assert "future" in refused.value.details["issued_on"][0]
    with pytest.raises(InvalidInput) as refused:
        submit(documents, worker_id, "health_certificate", expires_on="2026-05-31")
    assert "already expired" in refused.value.details["expires_on"][0]
    assert count(database, "SELECT count(*) FROM documents") == 0
    assert count(database, "SELECT count(*) FROM outbox") == 0


def test_a_scan_is_judged_by_its_content_and_stored_once_by_its_digest(
    documents, rabbit_config, database
):
    worker_id = register(documents, rabbit_config["AMQP_URI"])
    with pytest.raises(InvalidInput) as refused:
        submit(documents, worker_id, "passport", file=scan(b"GIF89a not a pdf"))
    assert "PDF, JPEG or PNG" in refused.value.details["file"][0]

    first = submit(documents, worker_id, "placement_agreement", file=scan())
    again = submit(documents, worker_id, "placement_agreement", file=scan())
    assert again["id"] == first["id"]  # the same submission twice: recognised, not duplicated
    other_type = submit(documents, worker_id, "employment_contract", file=scan())
    assert other_type["file_sha256"] == first["file_sha256"]
    assert count(database, "SELECT count(*) FROM document_files") == 1
    assert count(database, "SELECT count(*) FROM documents") == 2
    stored = call(documents, "get_document_file", other_type["id"])
    assert stored["media_type"] == "application/pdf"
    assert base64.b64decode(stored["content_base64"]) == PDF
    with pytest.raises(NotFound):
        call(
            documents,
            "get_document_file",
            submit(documents, worker_id, "passport", file=None)["id"],
        )


def test_one_workers_scan_is_refused_for_another_worker(documents, rabbit_config):
    amqp = rabbit_config["AMQP_URI"]
    first, second = register(documents, amqp), register(documents, amqp)
    submit(documents, first, "passport", file=scan())
    with pytest.raises(InvalidInput) as refused:
        submit(documents, second, "passport", file=scan())
    assert "another worker" in refused.value.details["file"][0]


def test_a_resubmission_replaces_the_previous_one(documents, rabbit_config):
    worker_id = register(documents, rabbit_config["AMQP_URI"])
    first = submit(documents, worker_id, "passport", number="X1111111")
    reject(documents, first["id"], reason="number does not match the scan")
    second = submit(documents, worker_id, "passport", number="X2222222")

    assert second["replaces"] == first["id"]
    assert call(documents, "get_document", first["id"])["replaced_by"] == second["id"]
    item = call(documents, "get_checklist", worker_id)["items"][4]
    assert (item["status"], item["document"]["id"]) == ("submitted", second["id"])
    third = submit(documents, worker_id, "passport", number="X3333333")
    with pytest.raises(AlreadyDecided, match="replaced"):
        verify(documents, second["id"])
    assert [d["id"] for d in call(documents, "desk_queue", {})["items"]] == [third["id"]]


def test_a_withdrawn_worker_gets_no_more_submissions_and_leaves_the_desk_queue(
    documents, rabbit_config
):
    amqp = rabbit_config["AMQP_URI"]
    worker_id = register(documents, amqp)
    pending = submit(documents, worker_id, "competency_certificate")
    change_status(documents, amqp, worker_id, "withdrawn", sequence=3)
    wait_for(
        lambda: not call(documents, "desk_queue", {})["items"],
        message="the queue to drop the withdrawn worker's document",
    )
    with pytest.raises(TransitionRefused):
        submit(documents, worker_id, "passport")
    with pytest.raises(TransitionRefused):
        verify(documents, pending["id"])


# decisions -------------------------------------------------------------------------------------


def test_only_a_verifier_decides_and_a_rejection_needs_a_reason(documents, rabbit_config):
    worker_id = register(documents, rabbit_config["AMQP_URI"])
    document = submit(documents, worker_id, "health_certificate")
    with pytest.raises(Forbidden):
        verify(documents, document["id"], actor=OPERATOR)
    with pytest.raises(InvalidInput) as refused:
        call(documents, "reject_document", document["id"], {}, actor=VERIFIER)
    assert "reason" in refused.value.details

    rejected = reject(documents, document["id"], reason="stamp of the clinic missing")
    assert rejected["status"] == "rejected" and rejected["decided_by"] == "desk-1"
    assert rejected["reason"] == "stamp of the clinic missing"
    item = call(documents, "get_checklist", worker_id)["items"][3]
    assert item["status"] == "rejected"


def test_a_decided_document_is_not_decided_again(documents, rabbit_config):
    worker_id = register(documents, rabbit_config["AMQP_URI"])
    document = submit(documents, worker_id, "family_permission_letter")
    verify(documents, document["id"])
    with pytest.raises(AlreadyDecided):
        verify(documents, document["id"])
    with pytest.raises(AlreadyDecided):
        reject(documents, document["id"])


def test_documents_completed_is_announced_once_when_the_last_type_is_verified(
    documents, rabbit_config, agency
):
    worker_id = register(documents, rabbit_config["AMQP_URI"])
    verified = complete_checklist(documents, worker_id)

    assert call(documents, "get_checklist", worker_id)["complete"] is True
    messages = agency.wait_for(lambda msgs: of_type(msgs, c.DOCUMENTS_COMPLETED))
    messages = [m for m in messages if m["worker_id"] == worker_id]
    assert [m["sequence"] for m in messages] == list(range(1, 18))
    completed = of_type(messages, c.DOCUMENTS_COMPLETED)
    assert len(completed) == 1 and messages[-1] is completed[0]
    assert completed[0]["data"]["document_ids"] == [verified[k]["id"] for k in c.DOCUMENT_TYPES]
    assert completed[0]["data"]["earliest_expiry"] == "2026-12-31"
    flags = [m["data"]["checklist_complete"] for m in of_type(messages, c.DOCUMENT_VERIFIED)]
    assert flags == [False] * 7 + [True]


def test_a_resubmission_and_its_rejection_take_a_complete_worker_back(
    documents, rabbit_config, agency
):
    worker_id = register(documents, rabbit_config["AMQP_URI"])
    complete_checklist(documents, worker_id)
    renewed = submit(documents, worker_id, "employment_contract", number="PK-2026-0099")
    reject(documents, renewed["id"], reason="not signed by the employer")

    messages = agency.wait_for(lambda msgs: of_type(msgs, c.DOCUMENT_REJECTED))
    assert call(documents, "get_checklist", worker_id)["complete"] is False
    after = [m for m in messages if m["sequence"] > 17]
    assert [(m["event_type"], m["data"]["checklist_complete"]) for m in after] == [
        (c.DOCUMENT_SUBMITTED, False),
        (c.DOCUMENT_REJECTED, False),
    ]


# expiry ----------------------------------------------------------------------------------------


def test_the_expiry_check_expires_lapsed_documents_once_and_takes_the_worker_back(
    documents, rabbit_config, agency, clock
):
    worker_id = register(documents, rabbit_config["AMQP_URI"])
    verified = complete_checklist(documents, worker_id)
    assert call(documents, "expire_documents") == 0

    clock.advance(days=214)  # 2027-01-01 in Blitar: the health certificate lapsed yesterday
    assert call(documents, "expire_documents") == 1
    assert call(documents, "expire_documents") == 0  # idempotent

    health = call(documents, "get_document", verified["health_certificate"]["id"])
    assert health["status"] == "expired"
    checklist = call(documents, "get_checklist", worker_id)
    assert checklist["complete"] is False and checklist["items"][3]["status"] == "expired"
    [expired] = of_type(
        agency.wait_for(lambda msgs: of_type(msgs, c.DOCUMENT_EXPIRED)), c.DOCUMENT_EXPIRED
    )
    assert expired["data"] == {
        "document_id": health["id"],
        "document_type": "health_certificate",
        "checklist_complete": False,
        "expired_on": "2026-12-31",
    }


def test_a_document_that_lapsed_while_waiting_cannot_be_verified(documents, rabbit_config, clock):
    worker_id = register(documents, rabbit_config["AMQP_URI"])
    waiting = submit(documents, worker_id, "health_certificate")
    clock.advance(days=250)
    with pytest.raises(TransitionRefused, match="expired"):
        verify(documents, waiting["id"])
    assert reject(documents, waiting["id"], reason="expired")["status"] == "rejected"


def test_the_scheduled_check_expires_documents_on_its_own(
    container_factory, config_for, rabbit_config
):
    clock = FixedClock(NOW)
    container = container_factory(
        DocumentsService, config_for("documents", EXPIRY_CHECK_SECONDS=0.1)
    )
    set_clock(container, clock)
    container.start()
    worker_id = register(container, rabbit_config["AMQP_URI"])
    document = verify(container, submit(container, worker_id, "work_visa")["id"])
    clock.advance(days=800)
    wait_for(
        lambda: call(container, "get_document", document["id"])["status"] == "expired",
        message="the timer to expire the visa",
    )


def test_the_scheduled_check_announces_a_visa_lapsing_within_60_days_once(
    container_factory, config_for, rabbit_config, agency
):
    clock = FixedClock(NOW)
    container = container_factory(
        DocumentsService, config_for("documents", EXPIRY_CHECK_SECONDS=0.1)
    )
    set_clock(container, clock)
    container.start()
    worker_id = register(container, rabbit_config["AMQP_URI"])
    document = verify(container, submit(container, worker_id, "work_visa")["id"])
    clock.advance(days=680)  # 2028-04-11: the visa (2028-05-31) lapses in 50 days

    def expiring(got):
        return [e for e in got if e["event_type"] == c.DOCUMENT_EXPIRING]

    (announced,) = expiring(agency.wait_for(expiring))
    assert announced["worker_id"] == worker_id
    assert announced["data"] == {
        "document_id": document["id"],
        "document_type": "work_visa",
        "expires_on": "2028-05-31",
        "days_left": 50,
        "warning_days": 60,
        "abroad": False,
    }
    assert call(container, "warn_of_expiry") == 0  # the timer's rounds announce it once
    assert expiring(agency.drain()) == [announced]


def test_the_expiry_check_and_the_desk_queue_read_through_their_indexes(database):
    """The plans are read on a desk's day of papers, analysed in the test's own transaction.

    On an empty table the planner goes by whatever statistics autovacuum left from earlier tests
    (a TRUNCATE keeps them), and two index plans can cost the same: the plan would then depend
    on which tests ran before. Five hundred workers' papers of every type, analysed and rolled
    back, make the choice the one a real desk's table gets.
    """
    from pmi_common.names import DOCUMENT_TYPES
    from services.documents.repository import select_awaiting_decision, select_due_for_expiry

    with database.connect() as conn:
        conn.exec_driver_sql(
            "INSERT INTO workers (id, cycle, status, sequence, documents_complete, known_since,"
            " updated_at) SELECT 'w-' || i, 1, 'registered', 1, false, now(), now()"
            " FROM generate_series(0, 499) AS i"
        )
        conn.exec_driver_sql(
            "INSERT INTO documents (id, worker_id, cycle, document_type, number, issued_on,"
            " expires_on, status, in_checklist, awaiting_decision, submitted_at)"
            " SELECT 'd-' || i, 'w-' || i / %(kinds)s, 1, (%(types)s)[1 + i %% %(kinds)s],"
            " 'N' || i, date '2026-01-01', date '2026-01-01' + i,"
            " CASE WHEN i %% 3 = 0 THEN 'verified' ELSE 'submitted' END, true, i %% 3 <> 0,"
            " now() - i * interval '1 minute'"
            " FROM generate_series(0, 2999) AS i",
            {"types": list(DOCUMENT_TYPES), "kinds": len(DOCUMENT_TYPES)},
        )
        conn.exec_driver_sql("ANALYZE documents")

        def plan(stmt):
            compiled = stmt.compile(dialect=database.dialect)
            rows = conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params).all()
            return "\n".join(row[0] for row in rows)

        # never committed: the connection rolls back the rows and the statistics as it closes
        assert "ix_documents_expiry" in plan(select_due_for_expiry(NOW.date(), 200))
        assert "ix_documents_queue " in plan(select_awaiting_decision(None, None, 50))
        assert "ix_documents_queue_type" in plan(
            select_awaiting_decision("passport", (NOW, "x"), 50)
        )


# the desk's view -------------------------------------------------------------------------------


def test_the_desk_queue_shows_waiting_documents_oldest_first_by_type_in_pages(
    documents, rabbit_config, clock
):
    amqp = rabbit_config["AMQP_URI"]
    first, second = register(documents, amqp), register(documents, amqp)
    submitted = []
    for worker_id, kind in [
        (first, "passport"),
        (second, "passport"),
        (first, "work_visa"),
        (second, "marital_status_letter"),
    ]:
        submitted.append(submit(documents, worker_id, kind))
        clock.advance(minutes=5)
    verify(documents, submitted[2]["id"])  # decided: leaves the queue

    queue = call(documents, "desk_queue", {})
    assert [d["id"] for d in queue["items"]] == [submitted[i]["id"] for i in (0, 1, 3)]
    assert queue["next_cursor"] is None
    passports = call(documents, "desk_queue", {"type": "passport", "limit": 1})
    assert [d["id"] for d in passports["items"]] == [submitted[0]["id"]]
    rest = call(documents, "desk_queue", {"type": "passport", "cursor": passports["next_cursor"]})
    assert [d["id"] for d in rest["items"]] == [submitted[1]["id"]]
    with pytest.raises(InvalidInput):
        call(documents, "desk_queue", {"cursor": "not-a-cursor"})


def test_the_desk_stats_show_the_backlog_and_how_long_decisions_take(
    documents, rabbit_config, clock
):
    worker_id = register(documents, rabbit_config["AMQP_URI"])
    waiting = [
        submit(documents, worker_id, kind)
        for kind in ("passport", "work_visa", "health_certificate")
    ]
    clock.advance(hours=1)
    verify(documents, waiting[0]["id"])
    clock.advance(hours=1)
    reject(documents, waiting[1]["id"])

    stats = call(documents, "desk_stats")
    assert stats["backlog"] == {**dict.fromkeys(c.DOCUMENT_TYPES, 0), "health_certificate": 1}
    assert stats["oldest_waiting_since"] == NOW.isoformat()
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
    assert stats["by_type"]["work_visa"]["median_decision_seconds"] == pytest.approx(7200)
    assert stats["by_type"]["health_certificate"] == {
        "backlog": 1,
        "decisions": 0,
        "median_decision_seconds": None,
        "p90_decision_seconds": None,
    }


# separation of duties at the desk --------------------------------------------------------------


def test_the_submitter_is_recorded_and_cannot_decide_on_their_own_document(
    documents, rabbit_config
):
    worker_id = register(documents, rabbit_config["AMQP_URI"])
    document = submit(documents, worker_id, "passport", actor=VERIFIER)
    assert document["submitted_by"] == "desk-1"
    with pytest.raises(Forbidden, match="cannot decide on it"):
        verify(documents, document["id"], actor=VERIFIER)
    with pytest.raises(Forbidden, match="cannot decide on it"):
        reject(documents, document["id"], actor=VERIFIER)
    assert call(documents, "get_document", document["id"])["status"] == "submitted"
    second = {**VERIFIER, "actor_subject": "desk-2"}
    decided = verify(documents, document["id"], actor=second)
    assert (decided["status"], decided["submitted_by"], decided["decided_by"]) == (
        "verified",
        "desk-1",
        "desk-2",
    )


def test_one_verifier_alone_cannot_complete_a_workers_checklist(documents, rabbit_config):
    worker_id = register(documents, rabbit_config["AMQP_URI"])
    for kind in c.DOCUMENT_TYPES:
        document = submit(documents, worker_id, kind, actor=VERIFIER)
        with pytest.raises(Forbidden):
            verify(documents, document["id"], actor=VERIFIER)
    assert call(documents, "get_checklist", worker_id)["complete"] is False


def test_a_document_without_its_scan_cannot_be_verified_only_rejected(documents, rabbit_config):
    worker_id = register(documents, rabbit_config["AMQP_URI"])
    document = submit(documents, worker_id, "health_certificate", file=None)
    with pytest.raises(TransitionRefused, match="without its scan"):
        verify(documents, document["id"])
    assert call(documents, "get_document", document["id"])["status"] == "submitted"
    rejected = reject(documents, document["id"], reason="no scan was attached")
    assert rejected["status"] == "rejected"
