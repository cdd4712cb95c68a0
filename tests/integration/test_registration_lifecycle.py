"""The registration service's lifecycle on the real broker and database: cycles, concurrency,
order, history, bulk import and queries."""

import csv
import json
import logging

import eventlet
import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine

from pmi_common import contract as c
from pmi_common.errors import DuplicateRegistration
from services.registration import importer
from services.registration.service import RegistrationService
from tests.events import envelope, publish
from tests.helpers import Subscriber, wait_for, worker_payload
from tests.integration.test_registration_service import call, status_of


@pytest.fixture
def registration(container_factory, config_for):
    container = container_factory(RegistrationService, config_for("registration"))
    container.start()
    return container


def documents_complete(amqp_uri, worker_id, sequence=10):
    publish(
        amqp_uri,
        envelope(
            c.DOCUMENTS_COMPLETED,
            worker_id,
            {"document_ids": ["d"], "earliest_expiry": None},
            sequence=sequence,
        ),
    )


def orientation_complete(amqp_uri, worker_id):
    publish(
        amqp_uri,
        envelope(
            c.ORIENTATION_COMPLETED,
            worker_id,
            {
                "session_id": "s1",
                "certificate_number": "OPP-1",
                "completed_at": "2026-11-20T10:00:00+07:00",
            },
        ),
    )


def cleared_worker(registration, amqp_uri):
    worker = call(registration, "register_worker", worker_payload())
    documents_complete(amqp_uri, worker["id"])
    orientation_complete(amqp_uri, worker["id"])
    call(registration, "update_worker", worker["id"], {"bpjs_number": "12345678901"})
    wait_for(lambda: status_of(registration, worker["id"]) == "cleared_for_departure")
    return worker


def test_a_returned_worker_registers_again_as_a_new_cycle_on_the_same_person(
    registration, rabbit_config
):
    amqp = rabbit_config["AMQP_URI"]
    payload = worker_payload()
    worker = call(registration, "register_worker", payload)
    documents_complete(amqp, worker["id"])
    orientation_complete(amqp, worker["id"])
    call(registration, "update_worker", worker["id"], {"bpjs_number": "12345678901"})
    wait_for(lambda: status_of(registration, worker["id"]) == "cleared_for_departure")
    call(
        registration,
        "record_departure",
        worker["id"],
        {"departed_on": "2026-01-05", "destination_country": "TW", "employer": "Mr Lin"},
    )
    call(
        registration,
        "record_return",
        worker["id"],
        {"returned_on": "2026-11-01", "reason": "contract_ended"},
    )

    again = call(registration, "register_worker", payload)

    assert again["id"] == worker["id"] and again["cycle"] == 2
    assert again["status"] == "registered" and again["bpjs_number"] is None
    timeline = call(registration, "get_timeline", worker["id"])
    assert {entry["cycle"] for entry in timeline} == {1, 2}
    statuses = [e["to_status"] for e in timeline if e["event_type"] == c.WORKER_STATUS_CHANGED]
    assert statuses == [
        "registered",
        "documents_verified",
        "orientation_completed",
        "cleared_for_departure",
        "departed",
        "returned",
        "registered",
    ]


def test_a_command_and_an_event_on_the_same_worker_at_once_lose_no_update(
    registration, rabbit_config
):
    amqp = rabbit_config["AMQP_URI"]
    workers = [call(registration, "register_worker", worker_payload()) for _ in range(8)]
    for worker in workers:
        documents_complete(amqp, worker["id"])
    for worker in workers:
        wait_for(lambda w=worker: status_of(registration, w["id"]) == "documents_verified")

    pool = eventlet.GreenPool()
    for worker in workers:  # the BPJS number and the orientation arrive at the same moment
        pool.spawn(
            call, registration, "update_worker", worker["id"], {"bpjs_number": "12345678901"}
        )
        pool.spawn(orientation_complete, amqp, worker["id"])
    pool.waitall()

    for worker in workers:
        wait_for(lambda w=worker: status_of(registration, w["id"]) == "cleared_for_departure")
        record = call(registration, "get_worker", worker["id"])
        assert record["bpjs_number"] == "12345678901" and record["orientation_completed"]


def test_the_events_of_a_worker_carry_a_strictly_increasing_sequence(registration, rabbit_config):
    agency = Subscriber(rabbit_config["AMQP_URI"], c.exchange_name(c.REGISTRATION))
    worker = cleared_worker(registration, rabbit_config["AMQP_URI"])
    events = agency.wait_for(lambda msgs: len(msgs) >= 5)
    agency.close()
    mine = [e for e in events if e["worker_id"] == worker["id"]]
    assert [e["sequence"] for e in mine] == list(range(1, len(mine) + 1))
    assert mine[-1]["data"]["to_status"] == "cleared_for_departure"


def test_the_timeline_records_who_caused_each_change(registration, rabbit_config):
    worker = call(registration, "register_worker", worker_payload())
    documents_complete(rabbit_config["AMQP_URI"], worker["id"])
    wait_for(lambda: status_of(registration, worker["id"]) == "documents_verified")
    change = [
        e
        for e in call(registration, "get_timeline", worker["id"])
        if e["to_status"] == "documents_verified"
    ][0]
    assert change["from_status"] == "registered" and change["stage"] == "pre_departure"
    assert change["reason"] == c.DOCUMENTS_COMPLETED
    assert change["actor"] == {"role": "verifier", "agency": "ltsa-blitar", "subject": "desk-1"}


def test_lists_filter_and_page_with_a_cursor(registration):
    for i in range(5):
        call(
            registration,
            "register_worker",
            worker_payload(destination_country="MY" if i % 2 else "HK"),
        )
    seen, cursor = [], None
    while True:
        page = call(
            registration,
            "list_workers",
            {"destination_country": "HK", "limit": 2, **({"cursor": cursor} if cursor else {})},
        )
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 3 and len({w["id"] for w in seen}) == 3
    assert all(w["destination_country"] == "HK" for w in seen)


def test_bulk_import_registers_good_rows_reports_bad_ones_and_can_run_again(
    registration, database_urls, tmp_path
):
    good = [worker_payload(), worker_payload(full_name="Ni Luh Putu Ayu Sri Wahyuni Dewi")]
    bad = worker_payload(nik="1234", phone="x")
    path = tmp_path / "blitar.csv"
    columns = [
        "nik",
        "full_name",
        "birth_date",
        "sex",
        "phone",
        "regency",
        "village",
        "destination_country",
        "occupation",
        "placement_agency",
    ]
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        for row in (*good, bad):
            writer.writerow(
                {
                    k: row["address"].get(k) if k in ("regency", "village") else row[k]
                    for k in columns
                }
            )
    engine = create_engine(database_urls["registration"])

    first = importer.import_file(path, engine)
    second = importer.import_file(path, engine)
    engine.dispose()

    assert (first.registered, first.skipped, len(first.rejected)) == (2, 0, 1)
    assert (second.registered, second.skipped, len(second.rejected)) == (0, 2, 1)
    line, _message, details = first.rejected[0]
    assert line == 4 and set(details) == {"nik", "phone"}
    listed = call(registration, "list_workers", {"limit": 10})["items"]
    assert sorted(w["full_name"] for w in listed) == sorted(r["full_name"] for r in good)


def test_logs_never_show_a_nik_in_clear(registration, caplog):
    payload = worker_payload()
    with caplog.at_level(logging.INFO):
        call(registration, "register_worker", payload)
        with pytest.raises(DuplicateRegistration):
            call(registration, "register_worker", payload)
    from pmi_common.logs import mask_identity

    rendered = [
        json.dumps(
            mask_identity(None, "info", {"event": r.getMessage(), **getattr(r, "__dict__", {})}),
            default=str,
        )
        for r in caplog.records
    ]
    assert rendered and not any(payload["nik"] in line for line in rendered)


def test_registrations_of_one_nik_racing_each_other_make_one_worker_and_name_it(
    registration, rabbit_config
):
    payload = worker_payload()
    with ClusterRpcProxy(rabbit_config) as rpc:
        replies = [rpc.registration.register_worker.call_async(payload) for _ in range(6)]
        outcomes = [_outcome(reply) for reply in replies]
    workers = [o for o in outcomes if isinstance(o, dict)]
    refusals = [o for o in outcomes if isinstance(o, DuplicateRegistration)]
    assert len(workers) == 1 and len(refusals) == 5
    assert {r.details["worker_id"] for r in refusals} == {workers[0]["id"]}


def _outcome(reply):
    try:
        return reply.result()
    except DuplicateRegistration as exc:
        return exc
