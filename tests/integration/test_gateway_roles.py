"""The role table, walked: every route of ``gateway.routes.ROUTES`` called with every role and
with no token, against the running stack (all four services behind the gateway).

Allowed roles never get 401 or 403 (the services may still answer 404 or 422: the call got
through); other roles get 403; no token gets 401 unless the route is public. A worker token
reaches only routes about its own worker id.
"""

import uuid

import pytest

from gateway.roles import ROLES, WORKER
from gateway.routes import ROUTES, Route
from gateway.testing import start_stack
from tests.helpers import worker_payload


@pytest.fixture
def api(container_factory, config_for, private_servers):
    # the console's routes read queue statistics from the broker's management API
    return start_stack(container_factory, config_for,
                       RABBITMQ_MANAGEMENT_URL=private_servers.broker.management_url)


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


def test_every_route_allows_exactly_the_roles_of_the_table(api):
    worker_id = api.as_role("operator").post("/workers", json=worker_payload()).json()["id"]
    clients = {role: api.as_role(role, worker_id if role == WORKER else None) for role in ROLES}
    clients[None] = api.anonymous()

    wrong = []
    for route in ROUTES:
        for role, client in clients.items():
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
