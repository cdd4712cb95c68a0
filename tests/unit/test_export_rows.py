"""What a service's export holds about a worker (``pmi_common.operations.rows_about``): besides the
rows that name the worker, the scans their documents name, the answers to keyed commands that
name them, their archived events unpacked, their event counter, and the inbox rows of events
about them; nothing of another worker's."""

import datetime as dt

from sqlalchemy import Column, LargeBinary, MetaData, String, Table, create_engine, insert

from gateway.dependencies import OwnRecords
from gateway.models import idempotency_keys
from gateway.models import metadata as gateway_metadata
from pmi_common.operations import ABOUT_VIA, received, rows_about
from pmi_common.retention import pack
from pmi_common.tables import add_messaging_tables
from services.agencies.models import metadata as agencies_metadata
from services.agencies.models import webhook_attempts, webhook_deliveries
from services.documents.models import document_files

HER, OTHER = "0d9a2a5e-0000-4000-8000-000000000001", "0d9a2a5e-0000-4000-8000-000000000002"
NOW = dt.datetime(2026, 12, 6, 8, 0, tzinfo=dt.UTC)
SCAN = b"%PDF-1.4 her passport"


def documents_database():
    metadata = MetaData()
    Table("workers", metadata, Column("id", String(36), primary_key=True))
    Table(
        "documents",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("worker_id", String(36)),
        Column("file_sha256", String(64), nullable=True),
    )
    Table(
        "document_files",
        metadata,
        Column("sha256", String(64), primary_key=True),
        Column("content", LargeBinary),
        info={ABOUT_VIA: ("sha256", "documents", "file_sha256")},
    )
    tables = add_messaging_tables(metadata)
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    return engine, metadata, tables


def envelope(event_id: str, worker_id: str) -> dict:
    return {"event_id": event_id, "event_type": "document_verified", "worker_id": worker_id}


def filled():
    engine, metadata, tables = documents_database()
    t = metadata.tables
    with engine.begin() as conn:
        conn.execute(insert(t["workers"]), [{"id": HER}, {"id": OTHER}])
        conn.execute(
            insert(t["documents"]),
            [
                {"id": "d-1", "worker_id": HER, "file_sha256": "s-her"},
                {"id": "d-2", "worker_id": HER, "file_sha256": None},
                {"id": "d-3", "worker_id": OTHER, "file_sha256": "s-other"},
            ],
        )
        conn.execute(
            insert(t["document_files"]),
            [{"sha256": "s-her", "content": SCAN}, {"sha256": "s-other", "content": b"%PDF-x"}],
        )
        answers = [
            {"key": "k-1", "answer": {"id": HER, "nik": "3505125703940001"}},
            {"key": "k-2", "answer": {"document": {"worker_id": HER}}},
            {"key": "k-3", "answer": {"id": OTHER, "note": f"not {HER}"}},
        ]
        conn.execute(
            insert(tables.answers), [{**a, "created_at": NOW, "expires_at": NOW} for a in answers]
        )
        conn.execute(
            insert(tables.archive),
            [
                {
                    "id": n,
                    "event_type": "document_verified",
                    "worker_id": worker,
                    "occurred_at": NOW,
                    "envelope": pack(envelope(f"e-{n}", worker)),
                }
                for n, worker in ((1, HER), (2, OTHER))
            ],
        )
        conn.execute(insert(tables.sequences), [{"stream_id": HER, "last": 7}])
        conn.execute(
            insert(tables.inbox),
            [
                {"event_id": event_id, "event_type": "worker_registered", "source": "registration"}
                | {"applied_at": NOW}
                for event_id in ("e-her", "e-other")
            ],
        )
    return engine, metadata, tables


def test_a_scan_of_her_documents_is_in_her_export_as_its_size_and_digest_and_no_other():
    engine, metadata, _ = filled()

    held = rows_about(engine, metadata, HER)

    assert [row["sha256"] for row in held["document_files"]] == ["s-her"]
    assert held["document_files"][0]["content"]["bytes"] == len(SCAN)
    assert document_files.info[ABOUT_VIA] == ("sha256", "documents", "file_sha256")


def test_the_answers_to_keyed_commands_that_name_her_are_in_her_export():
    engine, metadata, _ = filled()

    held = rows_about(engine, metadata, HER)

    # k-3 names her only inside free text of another worker's answer: not about her
    assert [row["key"] for row in held["command_answers"]] == ["k-1", "k-2"]
    assert held["command_answers"][0]["answer"]["nik"] == "3505125703940001"


def test_her_archived_events_are_exported_as_the_events_they_were_and_her_counter_too():
    engine, metadata, _ = filled()

    held = rows_about(engine, metadata, HER)

    assert [row["envelope"] for row in held["outbox_archive"]] == [envelope("e-1", HER)]
    assert held["stream_sequences"] == [{"stream_id": HER, "last": 7}]
    assert OTHER not in str({k: v for k, v in held.items() if k != "workers"})


def test_the_inbox_rows_of_the_events_about_her_are_found_by_their_ids():
    engine, _, tables = filled()

    rows = received(engine, tables.inbox, ["e-her", "e-unknown"])

    assert [(row["event_id"], row["source"]) for row in rows] == [("e-her", "registration")]
    assert received(engine, tables.inbox, []) == []


def test_the_agencies_service_exports_her_webhook_attempts_and_no_other():
    engine = create_engine("sqlite://")
    agencies_metadata.create_all(engine)
    with engine.begin() as conn:
        for n, worker in ((1, HER), (2, OTHER)):
            conn.execute(
                insert(webhook_deliveries).values(
                    id=n,
                    endpoint_id="ep-1",
                    agency="bpjs",
                    worker_id=worker,
                    order_key=worker,
                    occurred_at=NOW,
                    sequence=1,
                    event_id=f"e-{n}",
                    event_type="worker_registered",
                    envelope=envelope(f"e-{n}", worker),
                    state="delivered",
                    attempts=1,
                    created_at=NOW,
                )
            )
            conn.execute(
                insert(webhook_attempts).values(
                    delivery_id=n, endpoint_id="ep-1", attempted_at=NOW, status=500, latency_ms=3
                )
            )

    held = rows_about(engine, agencies_metadata, HER, leave_out=("disclosures",))

    assert [row["delivery_id"] for row in held["webhook_attempts"]] == [1]


def test_the_gateway_exports_her_own_keyed_writes_without_the_answer():
    engine = create_engine("sqlite://")
    gateway_metadata.create_all(engine)
    with engine.begin() as conn:
        for principal in (f"worker:{HER}", "operator:desk-1"):
            conn.execute(
                insert(idempotency_keys).values(
                    principal=principal,
                    key="k",
                    fingerprint="f" * 64,
                    method="PATCH",
                    path=f"/api/v1/workers/{HER}",
                    status=200,
                    body_sha256="b" * 64,
                    sealed=b"\x00sealed",
                    created_at=NOW,
                    expires_at=NOW,
                )
            )

    held = OwnRecords(engine).held_about(HER)

    [own] = held["idempotency_keys"]
    assert own["principal"] == f"worker:{HER}" and own["body_sha256"] == "b" * 64
    assert "sealed" not in own
