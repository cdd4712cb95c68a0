"""The benchmark's load generator registers workers the platform accepts: a bench that measured
refusals would measure the wrong thing."""

from __future__ import annotations

import datetime as dt

from bench import load
from gateway.schemas import RegisterWorker as GatewayRegisterWorker
from services.registration.schemas import RegisterWorker

CONNECTIONS = range(1, 17)
SALTS = (1, 2, 3)


def test_every_generated_registration_passes_the_gateway_and_the_registration_rules():
    today = dt.date(2026, 11, 29)
    for salt in SALTS:
        for worker in CONNECTIONS:
            for counter in (1, 9_999, 10_000, 280_000, 3_000_000):
                body = load.registration(counter, worker, salt)
                assert GatewayRegisterWorker().validate(body) == {}
                assert RegisterWorker(today=today).validate(body) == {}, body["nik"]


def test_generated_niks_are_unique_across_connections_and_runs():
    niks = [
        load.registration(counter, worker, salt)["nik"]
        for salt in SALTS
        for worker in CONNECTIONS
        for counter in range(1, 300)
    ]
    assert len(set(niks)) == len(niks)
