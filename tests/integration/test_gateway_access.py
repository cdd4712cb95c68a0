"""Ending a worker's access at the desk, and the access log the data protection officer reads:
the gateway in front of registration, on the test broker and PostgreSQL."""

import datetime as dt

import eventlet
import pytest
from sqlalchemy import create_engine, insert, text
from sqlalchemy.exc import DBAPIError

from gateway import auth
from gateway.access_log import AccessLog
from gateway.auth import Caller
from gateway.models import access_log
from gateway.revocations import RevocationBook
from gateway.testing import start_stack
from pmi_common.agreement import Agreement
from pmi_common.contract import REGISTRATION
from pmi_common.published import PUBLISHED
from services.agencies.agreement_repository import AgreementRepository
from tests.helpers import worker_payload


@pytest.fixture
def engine(database_urls):
    engine = create_engine(database_urls["gateway"])
    yield engine
    engine.dispose()


def test_a_revoked_subject_s_older_tokens_are_refused_and_its_newer_ones_are_not(engine):
    book = RevocationBook(engine)
    now = dt.datetime.now(dt.UTC)
    before, after = now.timestamp() - 60, now.timestamp() + 1
    assert book.refusal(Caller("worker", "w-1", issued_at=before)) is None

    book.revoke_subject("w-1", "desk-1", "lost phone", now=now)
    book.revoke_token("jti-1", "desk-1")

    assert "revoked" in book.refusal(Caller("worker", "w-1", issued_at=before))
    assert book.refusal(Caller("worker", "w-1", issued_at=after)) is None
    assert book.refusal(Caller("worker", "w-2", issued_at=before)) is None
    assert (
        book.refusal(Caller("admin", "a", issued_at=after, token_id="jti-1"))
        == "the token was revoked"
    )


def test_the_access_log_refuses_to_change_or_forget_a_row(engine):
    with engine.begin() as conn:
        conn.execute(
            insert(access_log).values(
                at=dt.datetime.now(dt.UTC),
                worker_id="w-1",
                actor_role="operator",
                actor_subject="desk-1",
                what="get_worker",
            )
        )
    for statement in ("UPDATE access_log SET actor_subject = 'nobody'", "DELETE FROM access_log"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT actor_subject FROM access_log")).scalars().all() == [
            "desk-1"
        ]


class _Container:
    """What the access log's writer needs of a nameko container: its config and a thread."""

    def __init__(self, database_url: str):
        self.config = {"DATABASE_URL": database_url}

    def spawn_managed_thread(self, fn, identifier=None):
        return eventlet.spawn(fn)


def test_reads_at_once_are_logged_in_one_commit_and_each_waits_for_it(engine, database_urls):
    writer = AccessLog()
    writer.container = _Container(database_urls["gateway"])
    writer.setup()
    desk = Caller("operator", "desk-1")
    reads = [
        eventlet.spawn(writer.record, desk, f"w-{n}", "get_worker", f"req-{n}") for n in range(12)
    ]
    eventlet.sleep(0)  # every read has handed its row; none is answered: nothing is written yet
    assert not any(read.dead for read in reads)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM access_log")).scalar_one() == 0

    writer.start()
    for read in reads:
        read.wait()  # returns once its row is committed
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT worker_id, xmin::text FROM access_log")).all()
    assert sorted(r.worker_id for r in rows) == sorted(f"w-{n}" for n in range(12))
    assert len({r.xmin for r in rows}) == 1  # one transaction for the twelve
    writer.stop()


def test_a_row_that_cannot_be_written_fails_its_own_read_alone(engine, database_urls):
    writer = AccessLog()
    writer.container = _Container(database_urls["gateway"])
    writer.setup()
    fine, too_long = Caller("operator", "desk-1"), Caller("operator", "x" * 201)
    reads = [
        eventlet.spawn(writer.record, fine, "w-1", "get_worker", None),
        eventlet.spawn(writer.record, too_long, "w-2", "get_worker", None),
        eventlet.spawn(writer.record, fine, "w-3", "get_worker", None),
    ]
    eventlet.sleep(0)
    writer.start()
    reads[0].wait()
    with pytest.raises(DBAPIError):
        reads[1].wait()
    reads[2].wait()
    with engine.connect() as conn:
        logged = conn.execute(text("SELECT worker_id FROM access_log ORDER BY id")).scalars()
        assert list(logged) == ["w-1", "w-3"]
    writer.stop()


def test_the_desk_ends_a_worker_s_access_and_the_dpo_sees_who_read_the_record(
    container_factory, config_for
):
    # the gateway remembers for an hour that the phone's token is not revoked: only the
    # revocation made through it can make it ask again
    api = start_stack(
        container_factory, config_for, services=(REGISTRATION,), REVOCATION_RECHECK_SECONDS=3600
    )
    desk = api.as_role("operator", "desk-1")
    worker_id = desk.post("/workers", json=worker_payload()).json()["id"]
    phone = api.as_role("worker", worker_id)
    assert phone.get(f"/workers/{worker_id}").status_code == 200  # the token is now remembered
    assert desk.get(f"/workers/{worker_id}/timeline").status_code == 200

    revoked = desk.post(f"/workers/{worker_id}/access/revoke", json={"reason": "lost phone"})
    assert revoked.status_code == 200, revoked.text
    refused = phone.get(f"/workers/{worker_id}")
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]
    not_before = dt.datetime.fromisoformat(revoked.json()["not_before"])
    new_phone = api.with_token(
        auth.mint(
            api.secret,
            "worker",
            worker_id,
            now=not_before + dt.timedelta(seconds=1),
        )
    )
    assert new_phone.get(f"/workers/{worker_id}").status_code == 200

    assert desk.get(f"/access-log?worker_id={worker_id}").status_code == 403
    log = api.as_role("dpo").get(f"/access-log?worker_id={worker_id}")
    assert log.status_code == 200, log.text
    reads = [(e["role"], e["subject"], e["what"]) for e in log.json()["items"]]
    assert reads == [
        ("worker", worker_id, "get_worker"),
        ("operator", "desk-1", "get_timeline"),
        ("worker", worker_id, "get_worker"),
    ]


def test_an_agency_counts_only_its_own_recruits_and_no_cell_below_five(
    container_factory, config_for, database_urls
):
    now = dt.datetime.now(dt.UTC)
    agreements = AgreementRepository(create_engine(database_urls["agencies"]))
    for agency, company in (("pt-sinar", "PT Sinar Jaya"), ("bp3mi-jatim", None)):
        agreements.put(
            Agreement(
                agency=agency,
                fields={t: p.fields for t, p in PUBLISHED.items()},
                purpose="protection of placed workers",
                legal_basis="public_task",
                approved_by="Kepala BP3MI Jawa Timur",
                valid_from=now - dt.timedelta(days=1),
                placement_agency=company,
            ),
            "test",
            now,
        )
    api = start_stack(container_factory, config_for, services=(REGISTRATION,))
    desk = api.as_role("operator")
    malang = {
        "village": "Kauman",
        "district": "Klojen",
        "regency": "Malang",
        "province": "Jawa Timur",
    }
    registrations = [worker_payload() for _ in range(5)] + [
        worker_payload(address=malang),
        worker_payload(placement_agency="PT Lain"),
        worker_payload(placement_agency="PT Lain"),
    ]
    for payload in registrations:
        assert desk.post("/workers", json=payload).status_code == 201

    stats = api.as_role("agency", agency="pt-sinar").get("/stats")
    assert stats.status_code == 200, stats.text
    workers = stats.json()["workers"]
    assert workers["total"] == 6  # not the platform's 8
    assert workers["by_regency"] == {"Blitar": 5}  # Malang's one recruit is not shown
    assert desk.get("/stats").json()["workers"]["total"] == 8

    refused = api.as_role("agency", agency="bp3mi-jatim").get("/stats")
    assert refused.status_code == 403
    assert "own recruits" in refused.json()["detail"]


def test_pmi_token_revoke_ends_a_subject_s_tokens_or_one_token(engine, database_urls, monkeypatch):
    from pmi_tools.cli import main as pmi

    monkeypatch.setenv("GATEWAY_DATABASE_URL", database_urls["gateway"])
    earlier = dt.datetime.now(dt.UTC).timestamp() - 60
    book = RevocationBook(engine)
    assert book.refusal(Caller("operator", "desk-9", issued_at=earlier)) is None

    pmi(["token", "revoke", "desk-9", "--by", "lead", "--reason", "left the office"])
    pmi(["token", "revoke", "--jti", "token-1", "--by", "lead"])

    assert "revoked" in book.refusal(Caller("operator", "desk-9", issued_at=earlier))
    assert book.refusal(Caller("admin", "a", issued_at=earlier, token_id="token-1"))
    with pytest.raises(SystemExit, match="one SUBJECT"):
        pmi(["token", "revoke", "desk-9", "--jti", "token-1"])
