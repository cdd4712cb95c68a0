"""The gateway answers worker reads from memory and still shows every change: events about the
worker invalidate them, and a caller's own writes are read back at once."""

from gateway.testing import start_stack
from pmi_common import contract as c
from tests.events import envelope, publish
from tests.helpers import wait_for, worker_payload


def test_cached_reads_follow_events_and_the_callers_own_writes(
    container_factory, config_for, rabbit_config
):
    # a TTL far beyond the test: only invalidations can refresh what is cached
    api = start_stack(
        container_factory, config_for, services=(c.REGISTRATION,), READ_CACHE_SECONDS=600
    )
    operator = api.as_role("operator")
    worker = operator.post("/workers", json=worker_payload()).json()
    path = f"/workers/{worker['id']}"
    assert operator.get(path).json()["status"] == "registered"
    assert operator.get(path).json()["status"] == "registered"  # now from memory

    publish(
        rabbit_config["AMQP_URI"],
        envelope(
            c.DOCUMENTS_COMPLETED,
            worker["id"],
            {"document_ids": ["d"], "earliest_expiry": None},
            sequence=3,
        ),
    )
    wait_for(
        lambda: operator.get(path).json()["status"] == "documents_verified",
        message="the cached worker to follow the status change",
    )

    answer = operator.patch(path, json={"phone": "+628111111111"})
    assert answer.status_code == 200
    assert operator.get(path).json()["phone"] == "+628111111111"
