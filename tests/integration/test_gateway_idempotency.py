"""``Idempotency-Key``: a repeated write gets the first answer; the same key with another request
is refused; keys belong to their caller and expire."""

import datetime as dt

import pytest
from sqlalchemy import create_engine, text

from gateway.idempotency import fingerprint
from gateway.testing import start_stack
from pmi_common.contract import REGISTRATION
from tests.helpers import worker_payload


@pytest.fixture
def api(container_factory, config_for):
    return start_stack(container_factory, config_for, services=(REGISTRATION,))


def count(url: str, table: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        number = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
    engine.dispose()
    return number


def test_a_repeated_registration_gets_the_first_answer_and_registers_once(api, database_urls):
    desk = api.as_role("operator", "desk-1")
    payload = worker_payload()
    key = {"Idempotency-Key": "register-siti-1"}

    first = desk.post("/workers", json=payload, headers=key)
    again = desk.post("/workers", json=payload, headers=key)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert count(database_urls["registration"], "workers") == 1


def test_a_refusal_is_replayed_too(api):
    desk = api.as_role("operator", "desk-1")
    payload = worker_payload()
    desk.post("/workers", json=payload)
    key = {"Idempotency-Key": "duplicate-1"}

    first = desk.post("/workers", json=payload, headers=key)
    again = desk.post("/workers", json=payload, headers=key)

    assert first.status_code == again.status_code == 409
    assert again.json()["details"] == first.json()["details"]


def test_the_same_key_with_another_body_is_422(api, database_urls):
    desk = api.as_role("operator", "desk-1")
    key = {"Idempotency-Key": "register-2"}
    desk.post("/workers", json=worker_payload(), headers=key)

    other = desk.post("/workers", json=worker_payload(), headers=key)

    assert other.status_code == 422
    assert other.json()["type"] == "urn:pmi:problem:idempotency-key-reused"
    assert count(database_urls["registration"], "workers") == 1


def test_keys_belong_to_their_caller(api, database_urls):
    key = {"Idempotency-Key": "morning-batch-1"}
    first = api.as_role("operator", "desk-1").post("/workers", json=worker_payload(), headers=key)
    second = api.as_role("operator", "desk-2").post("/workers", json=worker_payload(), headers=key)

    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]


def test_an_answer_to_retry_is_not_kept(container_factory, config_for):
    api = start_stack(container_factory, config_for, services=())
    desk = api.as_role("operator", "desk-1")
    key = {"Idempotency-Key": "while-registration-is-down"}
    payload = worker_payload()

    first = desk.post("/workers", json=payload, headers=key)
    again = desk.post("/workers", json=payload, headers=key)

    assert first.status_code == again.status_code == 503
    assert "Idempotent-Replayed" not in again.headers


def test_an_expired_key_may_be_used_for_a_new_request(container_factory, config_for):
    api = start_stack(container_factory, config_for, services=(REGISTRATION,), IDEMPOTENCY_TTL=0)
    desk = api.as_role("operator", "desk-1")
    key = {"Idempotency-Key": "reused-next-day"}

    first = desk.post("/workers", json=worker_payload(), headers=key)
    later = desk.post("/workers", json=worker_payload(), headers=key)

    assert first.status_code == later.status_code == 201
    assert later.json()["id"] != first.json()["id"]


def test_a_key_that_is_not_printable_ascii_is_400(api):
    response = api.as_role("operator").post(
        "/workers", json=worker_payload(), headers={"Idempotency-Key": "x" * 300}
    )
    assert response.status_code == 400
    assert response.json()["type"] == "urn:pmi:problem:invalid-idempotency-key"


@pytest.mark.parametrize("started_ago, status", [(5, 409), (31, 201)])
def test_a_key_left_in_progress_by_a_gateway_that_died_is_freed_after_three_rpc_timeouts(
    container_factory, config_for, database_urls, started_ago, status
):
    api = start_stack(container_factory, config_for, services=(REGISTRATION,), RPC_TIMEOUT=10)
    desk = api.as_role("operator", "desk-1")
    payload = worker_payload()
    engine = create_engine(database_urls["gateway"])
    with engine.begin() as conn:
        # what a gateway killed while answering this request under key k-1 leaves behind
        conn.execute(
            text(
                "INSERT INTO idempotency_keys (principal, key, fingerprint, method, path, "
                "created_at, expires_at) VALUES ('operator:desk-1', 'k-1', :fingerprint, 'POST', "
                "'/api/v1/workers', :started, :started + interval '1 day')"
            ),
            {
                "fingerprint": fingerprint("POST", "/api/v1/workers", payload),
                "started": dt.datetime.now(dt.UTC) - dt.timedelta(seconds=started_ago),
            },
        )
    engine.dispose()

    response = desk.post("/workers", json=payload, headers={"Idempotency-Key": "k-1"})

    assert response.status_code == status, response.text
