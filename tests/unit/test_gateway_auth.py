"""Tokens and the signing secret, without a running gateway."""

import base64
import datetime as dt
import json
import uuid

import jwt
import pytest

from gateway.auth import (
    DEVELOPMENT_SECRET,
    Caller,
    Unauthenticated,
    authenticate,
    mint,
    secret_problem,
    signing_secret,
)
from gateway.service import GatewayService
from pmi_common import production

SECRET = "unit-test-secret-that-is-long-enough-to-sign"


def bearer(token: str) -> str:
    return f"Bearer {token}"


def test_a_minted_token_names_its_caller():
    token = mint(SECRET, "agency", "bpjs-1", agency="bpjs-ketenagakerjaan")
    assert authenticate(bearer(token), SECRET) == Caller("agency", "bpjs-1",
                                                         "bpjs-ketenagakerjaan")


def test_an_expired_token_is_refused():
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=9)
    with pytest.raises(Unauthenticated, match="expired"):
        authenticate(bearer(mint(SECRET, "operator", "desk-1", now=past)), SECRET)


def test_an_unsigned_token_is_refused():
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    unsigned = f"{part({'alg': 'none'})}.{part({'sub': 'x', 'role': 'admin', 'exp': 4e9})}."
    with pytest.raises(Unauthenticated, match="not valid"):
        authenticate(bearer(unsigned), SECRET)


def test_a_token_signed_with_another_key_or_algorithm_is_refused():
    claims = {"sub": "x", "role": "admin", "exp": dt.datetime.now(dt.UTC) + dt.timedelta(1)}
    with pytest.raises(Unauthenticated):
        authenticate(bearer(jwt.encode(claims, "another-key-" * 4, algorithm="HS256")), SECRET)
    with pytest.raises(Unauthenticated):
        authenticate(bearer(jwt.encode(claims, SECRET * 2, algorithm="HS512")), SECRET * 2)


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Token abc", "Bearer a.b.c"])
def test_a_missing_or_malformed_header_is_refused(header):
    with pytest.raises(Unauthenticated):
        authenticate(header, SECRET)


@pytest.mark.parametrize("claims, reason", [
    ({"role": "superuser"}, "role"),
    ({"role": None}, "role"),
    ({"sub": ""}, "sub"),
    ({"role": "worker", "sub": "siti"}, "worker's id"),
    ({"role": "agency", "agency": None}, "agency"),
    ({"agency": 7}, "agency"),
])
def test_claims_that_name_no_caller_are_refused(claims, reason):
    base = {"sub": "desk-1", "role": "operator", "agency": None,
            "exp": dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)}
    token = jwt.encode({**base, **claims}, SECRET, algorithm="HS256")
    with pytest.raises(Unauthenticated, match=reason):
        authenticate(bearer(token), SECRET)


def test_a_worker_token_names_the_worker_by_its_canonical_id():
    worker_id = uuid.uuid4()
    token = mint(SECRET, "worker", str(worker_id).upper())
    assert authenticate(bearer(token), SECRET).subject == str(worker_id)


@pytest.mark.parametrize("config, problem", [
    ({"PMI_ENV": "production"}, "not set"),
    ({"PMI_ENV": "production", "JWT_SECRET": DEVELOPMENT_SECRET}, "default"),
    ({"PMI_ENV": "production", "JWT_SECRET": "changeme"}, "default"),
    ({"PMI_ENV": "staging", "JWT_SECRET": "short-secret"}, "shorter"),
    ({"JWT_SECRET": ""}, "not set"),
])
def test_the_gateway_refuses_to_start_without_a_real_secret_outside_development(config, problem):
    assert problem in secret_problem(config)
    with pytest.raises(SystemExit, match=problem):
        production.check("gateway", config, env={})


def test_development_may_run_on_the_development_secret(capsys):
    config = {"PMI_ENV": "development", "JWT_SECRET": ""}
    GatewayService.check_config(config)
    assert "WARNING" in capsys.readouterr().err
    assert signing_secret(config) == DEVELOPMENT_SECRET
    assert signing_secret({"PMI_ENV": "production", "JWT_SECRET": SECRET}) == SECRET
