"""Registration's reads taken from its database, read-only: the gateway given
``REGISTRATION_READ_DATABASE_URL`` answers ``GET /workers/{id}``, the timeline and the list
exactly as the one that asks the registration service over RPC, errors included, and its
connection can write nothing."""

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import InternalError, ProgrammingError

from gateway.registry import APPLICATION_NAME, read_only_engine
from gateway.testing import ApiClient, gateway_config
from pmi_common.contract import REGISTRATION
from pmi_common.runner import service_class
from tests.helpers import worker_payload


@pytest.fixture
def gateways(container_factory, config_for, database_urls):
    """(over the database, over RPC): two gateways before one registration service."""
    container_factory(service_class(REGISTRATION), config_for(REGISTRATION)).start()
    clients = []
    for extra in ({"REGISTRATION_READ_DATABASE_URL": database_urls[REGISTRATION]}, {}):
        config = gateway_config(config_for("gateway"), READ_CACHE_SECONDS=0, **extra)
        container_factory(service_class("gateway"), config).start()
        clients.append(
            ApiClient.for_config(config).as_role("operator", "desk-1", agency="ltsa-blitar")
        )
    return tuple(clients)


def same_answer(gateways, path):
    direct, rpc = (client.get(path) for client in gateways)
    assert direct.status_code == rpc.status_code, path
    assert direct.headers["Content-Type"] == rpc.headers["Content-Type"]
    expected = rpc.json()
    answer = direct.json()
    if direct.status_code >= 400:  # problems name the request; everything else is the same
        expected.pop("instance", None), answer.pop("instance", None)
        expected.pop("correlation_id", None), answer.pop("correlation_id", None)
    assert answer == expected, path
    return answer


def test_worker_timeline_and_list_read_from_the_database_answer_as_over_rpc(gateways):
    direct, _ = gateways
    ids = []
    for n in range(5):
        response = direct.post(
            "/workers",
            json=worker_payload(
                address={"regency": "Blitar" if n % 2 else "Kediri", "village": "Kademangan"}
            ),
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    departed = ids[0]
    assert direct.patch(f"/workers/{departed}", json={"bpjs_number": "12345678901"}).ok

    for worker_id in ids:
        worker = same_answer(gateways, f"/workers/{worker_id}")
        assert worker["id"] == worker_id and worker["nik"].isdigit()
        assert same_answer(gateways, f"/workers/{worker_id}/timeline")
    first = same_answer(gateways, "/workers?regency=Blitar&limit=1")
    assert len(first["items"]) == 1 and first["next_cursor"]
    same_answer(gateways, f"/workers?regency=Blitar&limit=1&cursor={first['next_cursor']}")
    same_answer(gateways, "/workers?limit=200")
    same_answer(gateways, "/workers?status=departed")


def test_unknown_workers_and_bad_cursors_are_refused_alike(gateways):
    for path in (
        f"/workers/{uuid.uuid4()}",
        f"/workers/{uuid.uuid4()}/timeline",
        "/workers/not-an-id",
        "/workers/not-an-id/timeline",
        f"/workers?cursor={'9' * 65}",
    ):
        assert same_answer(gateways, path)["status"] in (404, 422)


def test_the_gateways_registration_connection_writes_nothing(database_urls):
    engine = read_only_engine(database_urls[REGISTRATION], 1)
    try:
        with (
            pytest.raises((InternalError, ProgrammingError), match="read-only"),
            engine.begin() as conn,
        ):
            conn.execute(text("DELETE FROM workers"))
    finally:
        engine.dispose()


def test_reads_go_on_after_the_database_dropped_the_gateways_connections(gateways, database_urls):
    direct, _ = gateways
    worker = direct.post("/workers", json=worker_payload()).json()
    assert direct.get(f"/workers/{worker['id']}").status_code == 200  # a pooled connection

    engine = create_engine(database_urls[REGISTRATION])
    with engine.connect() as conn:
        dropped = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = :name"
            ),
            {"name": APPLICATION_NAME},
        ).scalar()
    engine.dispose()

    assert dropped >= 1
    assert direct.get(f"/workers/{worker['id']}").status_code == 200
    assert direct.get(f"/workers/{worker['id']}/timeline").status_code == 200
