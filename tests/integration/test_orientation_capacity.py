"""Seats hold under concurrency: many enrolments racing over RPC for the last seats of a session,
on the real broker and database."""

from __future__ import annotations

from nameko.standalone.rpc import ClusterRpcProxy

from pmi_common.errors import CapacityReached
from tests.integration.test_orientation_service import (
    clock,  # noqa: F401 - fixture
    db,  # noqa: F401 - fixture
    eligible_workers,
    scalar,
    schedule,
    start_orientation,
)

REQUESTS = 40
SEATS = 5


def test_racing_enrolments_never_overfill_a_session(
    container_factory, config_for, rabbit_config, clock, db
):  # noqa: F811
    config = config_for("orientation", max_workers=REQUESTS + 10)
    orientation = start_orientation(container_factory, config, clock)
    workers = [
        worker_id for worker_id, _nik in eligible_workers(rabbit_config["AMQP_URI"], db, REQUESTS)
    ]
    session = schedule(orientation, days=2, capacity=SEATS)
    later = schedule(orientation, days=9, capacity=50)

    with ClusterRpcProxy(config) as cluster:
        replies = [
            cluster.orientation.enrol_worker.call_async(session["id"], {"worker_id": worker_id})
            for worker_id in workers
        ]  # all in flight before any answer is read
        enrolled, full = [], []
        for reply in replies:
            try:
                enrolled.append(reply.result()["worker_id"])
            except CapacityReached as refused:
                full.append(refused.details["next_session"]["id"])

    assert len(enrolled) == SEATS and len(full) == REQUESTS - SEATS
    assert set(full) == {later["id"]}
    assert scalar(db, "SELECT enrolled FROM sessions WHERE id = :s", s=session["id"]) == SEATS
    assert (
        scalar(
            db,
            "SELECT count(*) FROM enrolments WHERE session_id = :s AND status = 'enrolled'",
            s=session["id"],
        )
        == SEATS
    )
    assert (
        scalar(db, "SELECT count(*) FROM outbox WHERE event_type = 'orientation_enrolled'") == SEATS
    )
