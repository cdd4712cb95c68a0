"""Bad requests get a clear problem at the edge, before any service is asked: the gateway runs
here without services behind it."""

import datetime as dt
import json
import uuid

import jwt
import pytest

from gateway.auth import mint
from gateway.testing import TEST_SECRET, start_stack
from tests.helpers import worker_payload

PROBLEM = "application/problem+json"


@pytest.fixture
def api(container_factory, config_for):
    return start_stack(container_factory, config_for, services=())


@pytest.fixture
def desk(api):
    return api.as_role("operator")


def problem_of(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == status
    assert {"type", "title", "detail"} <= set(problem)
    return problem


# authentication ----------------------------------------------------------------------------


def _token(claims: dict, key: str = TEST_SECRET, algorithm: str = "HS256") -> str:
    now = dt.datetime.now(dt.UTC)
    base = {
        "sub": "desk-1",
        "role": "operator",
        "agency": "ltsa",
        "iat": now,
        "exp": now + dt.timedelta(minutes=5),
        "iss": "pmi-lifecycle",
        "aud": "pmi-gateway",
    }
    claims = {name: value for name, value in {**base, **claims}.items() if value is not None}
    return jwt.encode(claims, key, algorithm=algorithm)


def _unsigned(claims: dict) -> str:
    header = {"alg": "none", "typ": "JWT"}
    body = {"sub": "desk-1", "role": "admin", "exp": 4102444800, **claims}

    def part(data):
        import base64

        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(body)}."


# each token is made as its test runs: made at collection, a long run would see it expire
@pytest.mark.parametrize(
    "make_token, reason",
    [
        (lambda: None, "needs a token"),
        (
            lambda: _token(
                {
                    "iat": dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
                    "exp": dt.datetime.now(dt.UTC) - dt.timedelta(seconds=60),
                }
            ),
            "expired",
        ),
        (
            lambda: _token(
                {"role": "admin", "exp": dt.datetime.now(dt.UTC) + dt.timedelta(days=3650)}
            ),
            "lives longer than a admin token may",
        ),
        (lambda: _token({"iat": None}), "must carry the iat claim"),
        (lambda: _token({"aud": "another-platform"}), "aud must name pmi-gateway"),
        (lambda: _token({"iss": "someone-else"}), "iss must be pmi-lifecycle"),
        (lambda: _unsigned({}), "not valid"),
        (lambda: _token({}, key="another-secret-of-more-than-thirty-two-characters"), "not valid"),
        (lambda: "not.a.jwt", "not valid"),
        (lambda: _token({"role": "superuser"}), "role"),
        (lambda: _token({"role": "worker", "sub": "not-a-worker-id"}), "worker's id"),
        (lambda: _token({"role": "agency", "agency": None}), "agency"),
    ],
)
def test_a_missing_expired_unsigned_forged_or_malformed_token_is_401(api, make_token, reason):
    response = api.with_token(make_token()).get("/workers")
    problem = problem_of(response, 401)
    assert reason in problem["detail"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_from_a_clock_a_second_ahead_is_accepted(api):
    ahead = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    token = _token({"iat": ahead, "exp": ahead + dt.timedelta(hours=1)})
    assert api.with_token(token).get("/workers/" + str(uuid.uuid4())).status_code != 401


def test_a_token_that_is_not_a_bearer_token_is_401(api):
    response = api.get("/workers", headers={"Authorization": f"Basic {TEST_SECRET}"})
    problem_of(response, 401)


def test_a_token_signed_with_the_development_secret_is_refused_outside_development(api):
    from gateway.auth import DEVELOPMENT_SECRET

    forged = mint(DEVELOPMENT_SECRET, "admin", "someone")
    problem_of(api.with_token(forged).get("/workers"), 401)


# bodies ------------------------------------------------------------------------------------


def test_malformed_json_is_400(desk):
    response = desk.post(
        "/workers", data=b'{"nik": "35', headers={"Content-Type": "application/json"}
    )
    assert "not valid JSON" in problem_of(response, 400)["detail"]


@pytest.mark.parametrize(
    "raw", [b'{"capacity": NaN}', b"[" * 30_000 + b"]" * 30_000, b'\xff\xfe{"a": 1}']
)
def test_json_python_would_accept_or_choke_on_is_400(api, raw):
    trainer = api.as_role("trainer")
    response = trainer.post(
        "/orientation/sessions", data=raw, headers={"Content-Type": "application/json"}
    )
    problem_of(response, 400)


def test_a_body_that_is_not_json_is_415(desk):
    response = desk.post(
        "/workers",
        data="nik=3505125703940002",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert "application/json" in problem_of(response, 415)["detail"]


def test_a_body_over_the_limit_is_413_before_it_is_read(desk):
    payload = worker_payload(full_name="x" * 70_000)
    problem_of(desk.post("/workers", json=payload), 413)


def test_a_chunked_body_over_the_limit_is_413(desk):
    def chunks():
        yield b'{"full_name": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    response = desk.post("/workers", data=chunks(), headers={"Content-Type": "application/json"})
    problem_of(response, 413)


def test_unknown_fields_and_wrong_types_are_422_naming_each_field(desk):
    payload = worker_payload(nickname="Siti")
    payload["birth_date"] = 19940317
    payload["address"]["rt_rw"] = "001/002"

    problem = problem_of(desk.post("/workers", json=payload), 422)

    assert problem["errors"]["nickname"] == ["Unknown field."]
    assert problem["errors"]["address"] == {"rt_rw": ["Unknown field."]}
    assert "birth_date" in problem["errors"]


def test_json_types_are_strict_at_the_edge(api):
    trainer = api.as_role("trainer")
    response = trainer.post(
        "/reintegration/programs",
        json={
            "name": "PAK CAMAT",
            "audience": "both",
            "capacity": "100",
            "starts_on": "2027-01-01",
            "rounds": [{"name": "pitch", "advance": True}],
        },
    )
    problem = problem_of(response, 422)
    assert set(problem["errors"]) == {"capacity", "rounds"}


def test_a_body_that_is_not_an_object_is_422(desk):
    problem_of(desk.post("/workers", json=[worker_payload()]), 422)


def test_a_nul_character_is_refused_naming_the_field(desk):
    payload = worker_payload()
    payload["address"]["village"] = "Kade\x00mangan"
    problem = problem_of(desk.post("/workers", json=payload), 422)
    assert "address.village" in problem["errors"]


# paths and queries --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/workers/42",
        "/workers/not-an-id/timeline",
        "/documents/1;drop",
        "/reintegration/programs/%20",
    ],
)
def test_a_path_id_that_is_not_a_uuid_is_404(api, path):
    problem = problem_of(api.as_role("admin").get(path), 404)
    assert "UUID" in problem["detail"]


def test_a_uuid_in_another_spelling_names_the_same_record(api):
    worker_id = uuid.uuid4()
    # no registration service here: the canonical id reached the call, which then had no answer
    response = api.as_role("admin").get(f"/workers/{str(worker_id).upper()}")
    assert response.status_code == 503


def test_unknown_and_repeated_query_parameters_are_422(api):
    admin = api.as_role("admin")
    problem = problem_of(admin.get("/workers", params={"stauts": "registered"}), 422)
    assert problem["errors"] == {"stauts": ["Unknown field."]}
    repeated = problem_of(admin.get("/workers?status=registered&status=departed"), 422)
    assert "status" in repeated["errors"]
    problem_of(admin.get("/workers", params={"limit": "1000"}), 422)


@pytest.mark.parametrize(
    "path", ["/workers?" + "limit=1&" * 1500, "/" + "w" * 9000, "/workers?" + "x" * 60_000]
)
def test_a_url_over_the_limit_is_414_as_a_problem(api, path):
    problem = problem_of(api.as_role("admin").get(path), 414)
    assert "8192 bytes" in problem["detail"]


def test_an_unknown_path_is_404_and_a_wrong_method_405_as_problems(api):
    problem_of(api.get("/nowhere"), 404)
    response = api.as_role("admin").request("DELETE", f"/workers/{uuid.uuid4()}")
    problem_of(response, 405)
    assert "GET" in response.headers["Allow"]


def test_every_answer_carries_a_request_id(api):
    assert api.get("/nowhere").headers["X-Request-ID"]
    given = api.get("/health", headers={"X-Request-ID": "probe-1"})
    assert given.headers["X-Request-ID"] == "probe-1"


# services that do not answer -------------------------------------------------------------------


def test_a_service_that_is_not_running_is_503_with_a_retry_hint(desk):
    response = desk.post("/workers", json=worker_payload())
    problem = problem_of(response, 503)
    assert "registration" in problem["detail"]
    assert int(response.headers["Retry-After"]) > 0
