"""The role table, walked: every route of ``gateway.routes.ROUTES`` called with every role and
with no token, against the running stack (all four services behind the gateway).

Allowed roles never get 401 or 403 (the services may still answer 404 or 422: the call got
through); other roles get 403; no token gets 401 unless the route is public. A worker token
reaches only routes about its own worker id. The agency token's agency has a data-sharing
agreement in force; one without an agreement, or with an expired one, gets 403 everywhere.
"""

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import create_engine

from gateway.roles import AGENCY, ROLES, WORKER
from gateway.routes import ROUTES, Route
from gateway.testing import start_stack
from pmi_common.agreement import Agreement
from pmi_common.published import PUBLISHED
from services.agencies.agreement_repository import AgreementRepository
from tests.helpers import worker_payload

AGENCY_NAME = "bp3mi-jatim"  # the agency claim of the test client's agency tokens


def agreement(agency: str = AGENCY_NAME, **terms) -> Agreement:
    values = {
        "fields": {t: p.fields for t, p in PUBLISHED.items()},
        "purpose": "protection of placed workers",
        "legal_basis": "public_task",
        "approved_by": "Kepala BP3MI Jawa Timur",
        "valid_from": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    }
    values.update(terms)
    return Agreement(agency=agency, **values)


@pytest.fixture
def agreements(database_urls):
    engine = create_engine(database_urls["agencies"])
    yield AgreementRepository(engine)
    engine.dispose()


@pytest.fixture
def api(container_factory, config_for, agreements, private_servers):
    # a placement company: it may read its own recruits' statistics
    agreements.put(agreement(placement_agency="PT Sinar Jaya"), "test", dt.datetime.now(dt.UTC))
    # the console's routes read queue statistics from the broker's management API
    return start_stack(
        container_factory, config_for, RABBITMQ_MANAGEMENT_URL=private_servers.broker.management_url
    )


def path_for(route: Route, worker_id: str) -> str:
    values = {name: str(uuid.uuid4()) for name in route.parameters}
    values["worker_id"] = worker_id
    values["number"] = "OPP-2026-NOSUCHCERT"
    return route.path.format(**values)


def call(client, route: Route, worker_id: str):
    body = {} if route.body is not None else None
    return client.request(route.method, path_for(route, worker_id), json=body)


def verdict(route: Route, role: str | None, status: int) -> str | None:
    """What is wrong with ``status`` for ``role`` on ``route``, or None."""
    if status >= 500 and not (route.name == "readiness" and status == 503):
        return f"answered {status}"
    if route.public:
        return f"a public route answered {status}" if status in (401, 403) else None
    if role is None:
        return None if status == 401 else f"no token got {status}, not 401"
    if route.allows(role):
        return f"an allowed role got {status}" if status in (401, 403) else None
    return None if status == 403 else f"a refused role got {status}, not 403"


def test_the_asyncapi_document_is_the_agencies_service_s_served_to_anyone(api):
    from services.agencies import asyncapi

    document = api.anonymous().get("/asyncapi.json").json()

    assert document["asyncapi"].startswith("3.")
    assert document == json.loads(json.dumps(asyncapi.document()))


def test_every_route_allows_exactly_the_roles_of_the_table(api):
    worker_id = api.as_role("operator").post("/workers", json=worker_payload()).json()["id"]
    clients = {role: api.as_role(role, worker_id if role == WORKER else None) for role in ROLES}
    clients[None] = api.anonymous()

    wrong = []
    # revoking the worker's access ends the worker's token: that route last, its callers last
    for route in sorted(ROUTES, key=lambda r: r.name == "revoke_worker_access"):
        for role, client in sorted(clients.items(), key=lambda rc: route.allows(rc[0])):
            status = call(client, route, worker_id).status_code
            problem = verdict(route, role, status)
            if problem:
                wrong.append(f"{route.method} {route.path} as {role or 'no token'}: {problem}")

    assert wrong == []


def test_a_worker_reaches_no_other_workers_record(api):
    desk = api.as_role("operator")
    own = desk.post("/workers", json=worker_payload()).json()["id"]
    other = desk.post("/workers", json=worker_payload()).json()["id"]
    worker = api.as_role(WORKER, own)

    for route in (r for r in ROUTES if WORKER in r.roles):
        assert call(worker, route, own).status_code not in (401, 403), route.name
        response = call(worker, route, other)
        assert response.status_code == 403, route.name
        assert response.json()["detail"] == "a worker may only reach their own record"


def test_an_agency_without_an_agreement_in_force_is_refused_everywhere(api, agreements):
    now = dt.datetime.now(dt.UTC)
    agreements.put(
        agreement(
            "ended", valid_until=now - dt.timedelta(days=1), valid_from=now - dt.timedelta(days=30)
        ),
        "test",
        now,
    )
    worker_id = api.as_role("operator").post("/workers", json=worker_payload()).json()["id"]
    for agency in ("no-agreement", "ended"):
        client = api.as_role(AGENCY, agency=agency)
        for route in (r for r in ROUTES if AGENCY in r.roles):
            response = call(client, route, worker_id)
            assert response.status_code == 403, (agency, route.name)
            assert "agreement" in response.json()["detail"]


def test_a_gateway_not_given_the_agencies_database_serves_no_agency(
    container_factory, config_for, agreements
):
    agreements.put(agreement(), "test", dt.datetime.now(dt.UTC))
    api = start_stack(
        container_factory, config_for, services=("registration",), AGENCIES_READ_DATABASE_URL=""
    )

    refused = api.as_role(AGENCY).get("/workers")

    assert refused.status_code == 503 and "AGENCIES_READ_DATABASE_URL" in refused.text
    assert api.as_role("operator").get("/workers").status_code == 200
