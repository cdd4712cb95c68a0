"""What operators and other programs read from the gateway: liveness, readiness, Prometheus
metrics, the OpenAPI and AsyncAPI documents, and the request id carried into events."""

import uuid

import eventlet
import pytest

from gateway.routes import ROUTES
from gateway.testing import start_stack
from pmi_common import contract as c
from pmi_common.rpc import rpc
from tests.helpers import Subscriber, worker_payload


def healthy(service: str, hang: bool = False):
    """A stand-in for a service that answers ``health()`` (or hangs on it)."""

    def health(self):
        if hang:
            eventlet.sleep(3600)
        return {"service": service, "database": "ok", "outbox_backlog": 0}

    return type(f"Healthy{service.title()}", (), {"name": service, "health": rpc(health)})


@pytest.fixture
def api(container_factory, config_for):
    return start_stack(container_factory, config_for, services=(c.REGISTRATION,))


# How long each readiness check may take here: what answers must be up however loaded the
# machine (in a loaded run the broker's or the database's check took longer than the 2 s
# deployed), what hangs is down after it
PATIENT_READINESS = 10.0


def start_healthy(container_factory, config_for, services, hanging=(), **gateway_config):
    for service in services:
        container_factory(healthy(service, service in hanging), config_for(service)).start()
    gateway_config.setdefault("READINESS_TIMEOUT", PATIENT_READINESS)
    return start_stack(container_factory, config_for, services=(), **gateway_config)


def test_the_gateway_is_alive_without_a_token(api):
    response = api.get("/health")
    assert response.status_code == 200 and response.json() == {"status": "alive"}


def test_ready_when_the_broker_the_database_and_every_service_answer(container_factory, config_for):
    api = start_healthy(container_factory, config_for, (*c.SERVICES, c.AGENCIES))
    response = api.get("/health/ready")

    assert response.status_code == 200
    checks = response.json()["checks"]
    assert {name: check["status"] for name, check in checks.items()} == dict.fromkeys(
        ("broker", "database", *c.SERVICES, c.AGENCIES), "up"
    )
    assert checks["documents"]["outbox_backlog"] == 0


def test_degraded_naming_the_service_that_is_down_or_hangs(container_factory, config_for):
    api = start_healthy(
        container_factory,
        config_for,
        (c.REGISTRATION, c.DOCUMENTS, c.ORIENTATION),
        hanging=(c.ORIENTATION,),
    )
    response = api.get("/health/ready")

    # still ready for the load balancer: the other services' routes work
    assert response.status_code == 200 and response.json()["status"] == "degraded"
    checks = response.json()["checks"]
    assert checks["reintegration"]["status"] == "down"
    assert "not running" in checks["reintegration"]["reason"]
    late = f"no answer within {PATIENT_READINESS:g}s"  # the gateway's READINESS_TIMEOUT
    assert checks["orientation"] == {"status": "down", "reason": late}
    assert checks["registration"]["status"] == checks["broker"]["status"] == "up"


def test_not_ready_without_its_database(container_factory, config_for):
    api = start_healthy(
        container_factory,
        config_for,
        c.SERVICES,
        DATABASE_URL="postgresql+psycopg2://nobody@127.0.0.1:1/none",
    )
    response = api.get("/health/ready")

    assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["database"] == {"status": "down", "reason": "unreachable"}


def test_readiness_tells_the_public_no_exception_text_or_host_names(container_factory, config_for):
    api = start_healthy(
        container_factory,
        config_for,
        (c.REGISTRATION,),
        DATABASE_URL="postgresql+psycopg2://nobody@db-7.internal:1/none",
    )
    text = api.get("/health/ready").text

    for secret in ("db-7.internal", "nobody", "OperationalError", "psycopg2", "127.0.0.1"):
        assert secret not in text


def test_metrics_count_requests_by_route_and_status_for_the_admin_only(api):
    admin = api.as_role("admin")
    admin.get(f"/workers/{uuid.uuid4()}")
    api.get("/nowhere")

    metrics = admin.get("/metrics")

    assert metrics.status_code == 200 and metrics.headers["Content-Type"].startswith("text/plain")
    text = metrics.text
    assert (
        'gateway_http_requests_total{method="GET",route="/api/v1/workers/{worker_id}",'
        'status="404"} 1.0'
    ) in text
    assert 'gateway_http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in text
    assert 'gateway_http_request_duration_seconds_bucket{le="0.1",method="GET"' in text
    assert api.as_role("agency").get("/metrics").status_code == 403


def test_the_openapi_document_lists_every_route_with_its_roles_and_problems(api):
    document = api.get("/openapi.json").json()

    assert document["openapi"].startswith("3.")
    for route in ROUTES:
        operation = document["paths"][route.path][route.method.lower()]
        assert operation["x-roles"] == (sorted(route.roles) or ["public"]), route.name
        if not route.public:
            assert operation["responses"]["403"] == {"$ref": "#/components/responses/Problem403"}
    assert document["components"]["responses"]["Problem422"]["content"]["application/problem+json"][
        "schema"
    ] == {"$ref": "#/components/schemas/Problem"}


def test_the_request_id_and_the_caller_travel_into_the_event(api, rabbit_config):
    agency = Subscriber(
        rabbit_config["AMQP_URI"], c.exchange_name(c.REGISTRATION), (c.WORKER_REGISTERED,)
    )
    try:
        api.as_role("operator", "desk-7", agency="ltsa-blitar").post(
            "/workers", json=worker_payload(), headers={"X-Request-ID": "req-2026-0042"}
        )
        [event] = agency.wait_for(lambda messages: messages)
    finally:
        agency.close()

    assert event["correlation_id"] == "req-2026-0042"
    assert event["actor"] == {"role": "operator", "agency": "ltsa-blitar", "subject": "desk-7"}
