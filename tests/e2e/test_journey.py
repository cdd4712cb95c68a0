"""End to end: one worker's whole migration through the gateway, the status moving by events, and
an agency's plain kombu queue receiving the worker's events in order with the full envelope."""

import pytest

from pmi_common import contract as c
from pmi_common.identity import initials
from tests.e2e.journey import Journey
from tests.helpers import Subscriber

pytestmark = pytest.mark.e2e

ENVELOPE = {
    "event_id",
    "event_type",
    "event_version",
    "occurred_at",
    "source",
    "worker_id",
    "sequence",
    "correlation_id",
    "actor",
    "data",
}
STATUS_PATH = [
    "registered",
    "documents_verified",
    "orientation_completed",
    "cleared_for_departure",
    "departed",
    "returned",
    "in_reintegration",
    "reintegrated",
]
MOVED_BY_EVENTS = {
    "documents_verified": c.DOCUMENTS,
    "orientation_completed": c.ORIENTATION,
    "in_reintegration": c.REINTEGRATION,
    "reintegrated": c.REINTEGRATION,
}


def test_a_worker_goes_through_the_whole_lifecycle_by_events(stack):
    agency = Subscriber(stack.amqp_uri, c.exchange_name(c.REGISTRATION))
    journey = Journey(stack)

    worker = journey.register()
    assert (worker["status"], worker["stage"]) == ("registered", "pre_departure")
    journey.submit_and_verify_documents()
    journey.wait_status("documents_verified")
    certificate = journey.attend_orientation()
    journey.wait_status("orientation_completed")
    journey.add_bpjs()
    journey.wait_status("cleared_for_departure")
    journey.depart()
    assert journey.status() == "departed"
    journey.come_home()
    assert journey.status() == "returned"
    journey.reintegrate()
    journey.wait_status("reintegrated")

    timeline = journey.call(journey.reader, "GET", f"/workers/{journey.worker_id}/timeline")
    changes = [e for e in timeline if e["event_type"] == c.WORKER_STATUS_CHANGED]
    assert [e["to_status"] for e in changes] == STATUS_PATH
    for change in changes:  # statuses owned by other services moved only by their events
        owner = MOVED_BY_EVENTS.get(change["to_status"])
        if owner:
            cause = change["details"]["caused_by"]
            assert cause["source"] == owner
            assert any(
                e["event_id"] == cause["event_id"] and e["source"] == owner for e in timeline
            )
    sources = {e["source"] for e in timeline}
    assert sources == {c.REGISTRATION, c.DOCUMENTS, c.ORIENTATION, c.REINTEGRATION}

    checked = journey.call(
        journey.reader, "GET", f"/certificates/{certificate['certificate_number']}"
    )
    assert checked["valid"] and checked["holder_initials"] == initials(journey.payload["full_name"])
    for personal in (journey.payload["nik"], journey.payload["full_name"], journey.worker_id):
        assert personal not in str(checked)  # the number is public: it names no one in full

    expected_types = [
        c.WORKER_REGISTERED,
        *[c.WORKER_STATUS_CHANGED] * 4,
        c.WORKER_DEPARTED,
        c.CONTRACT_RECORDED,
        c.WORKER_STATUS_CHANGED,
        c.WORKER_RETURNED,
        *[c.WORKER_STATUS_CHANGED] * 3,
    ]
    events = agency.wait_for(
        lambda msgs: (
            len([m for m in msgs if m["worker_id"] == journey.worker_id]) >= len(expected_types)
        )
    )
    agency.close()
    mine = [m for m in events if m["worker_id"] == journey.worker_id]
    assert [m["event_type"] for m in mine] == expected_types
    assert [m["sequence"] for m in mine] == list(range(1, len(mine) + 1))
    assert all(set(m) == ENVELOPE for m in mine)
    assert journey.payload["nik"] not in str(mine)
    assert len({m["event_id"] for m in mine}) == len(mine)
