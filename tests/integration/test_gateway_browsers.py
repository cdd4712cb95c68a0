"""Browsers on other origins: only origins the configuration allows get CORS answers (a
preflight, then the real call); every answer, whatever its status, carries security headers."""

import pytest

from gateway.browsers import SECURITY_HEADERS, parse_origins
from gateway.testing import start_stack
from tests.helpers import worker_payload

DESK_APP = "https://desk.ltsa-blitar.go.id"
STRANGER = "https://evil.example"


@pytest.fixture
def api(container_factory, config_for):
    return start_stack(
        container_factory,
        config_for,
        services=("registration",),
        CORS_ALLOWED_ORIGINS=f"{DESK_APP}, https://pmi.blitarkab.go.id",
    )


def preflight(api, origin, method="POST", path="/workers"):
    return api.anonymous().request(
        "OPTIONS",
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def test_the_desk_app_on_an_allowed_origin_passes_the_preflight_and_registers(api):
    answer = preflight(api, DESK_APP)
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == DESK_APP
    assert "POST" in answer.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in answer.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in answer.headers  # tokens are headers
    created = api.as_role("operator").post(
        "/workers", json=worker_payload(), headers={"Origin": DESK_APP}
    )
    assert created.status_code == 201
    assert created.headers["Access-Control-Allow-Origin"] == DESK_APP
    assert "Location" in created.headers["Access-Control-Expose-Headers"]


def test_another_origin_gets_no_cors_answer(api):
    refused = preflight(api, STRANGER)
    assert refused.status_code == 403
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert "Access-Control-Allow-Origin" not in refused.headers
    read = api.as_role("operator").get("/workers", headers={"Origin": STRANGER})
    assert "Access-Control-Allow-Origin" not in read.headers


def test_a_method_the_route_does_not_take_fails_the_preflight(api):
    assert preflight(api, DESK_APP, method="DELETE").status_code == 403


@pytest.mark.parametrize(
    "call",
    [
        lambda api: api.anonymous().get("/health"),
        lambda api: api.anonymous().get("/workers"),  # 401
        lambda api: api.anonymous().get("/no-such-thing"),  # 404, no route
        lambda api: api.as_role("operator").post("/workers", json={}),  # 422
        lambda api: preflight(api, DESK_APP),
    ],
)
def test_every_answer_carries_the_security_headers(api, call):
    answer = call(api)
    for name, value in SECURITY_HEADERS:
        assert answer.headers[name] == value, name


def test_no_origin_is_allowed_by_default(container_factory, config_for):
    api = start_stack(container_factory, config_for, services=())
    assert preflight(api, DESK_APP).status_code == 403
    assert (
        "Access-Control-Allow-Origin"
        not in api.anonymous().get("/health", headers={"Origin": DESK_APP}).headers
    )


@pytest.mark.parametrize(
    "text", ["*", "desk.ltsa-blitar.go.id", "https://desk.go.id/app", "ftp://desk.go.id"]
)
def test_a_wildcard_or_anything_but_an_origin_is_refused_as_configuration(text):
    with pytest.raises(ValueError, match="CORS_ALLOWED_ORIGINS"):
        parse_origins(text)
