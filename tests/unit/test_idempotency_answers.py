"""The answers the gateway keeps for ``Idempotency-Key`` retries are sealed: the store holds a
status, a digest and ciphertext, never the answer (a worker's record, NIK included) in clear."""

import pytest

from gateway.idempotency import Answer, Seal, answer_key, digest
from pmi_common.production import DEVELOPMENT_ANSWER_KEY, problems

KEY = "k" * 40
NIK = "3505125703940001"
ANSWER = Answer(201, f'{{"id": "w-1", "nik": "{NIK}"}}', {"Location": "/api/v1/workers/w-1"})
ROW = '["operator:desk-1","register-1","f1"]'


def test_a_sealed_answer_holds_no_nik_and_opens_to_the_first_answer():
    seal = Seal(KEY)

    body_sha256, sealed = seal.close(ANSWER, ROW)

    assert NIK.encode() not in sealed and b"w-1" not in sealed
    assert body_sha256 == digest(ANSWER.body) and NIK not in body_sha256
    assert seal.open(201, body_sha256, sealed, ROW) == ANSWER


def test_a_sealed_answer_opens_in_its_own_row_only_and_under_its_own_key():
    body_sha256, sealed = Seal(KEY).close(ANSWER, ROW)

    assert Seal(KEY).open(201, body_sha256, sealed, '["operator:desk-2","register-1","f1"]') is None
    assert Seal("q" * 40).open(201, body_sha256, sealed, ROW) is None
    assert Seal(KEY).open(201, "0" * 64, sealed, ROW) is None  # not the answer it was


def test_the_same_answer_sealed_twice_is_not_the_same_ciphertext():
    seal = Seal(KEY)
    assert seal.close(ANSWER, ROW)[1] != seal.close(ANSWER, ROW)[1]


@pytest.mark.parametrize(
    "config, problem",
    [
        ({}, "IDEMPOTENCY_ANSWER_KEY is not set"),
        ({"IDEMPOTENCY_ANSWER_KEY": "short"}, "IDEMPOTENCY_ANSWER_KEY is shorter than 32"),
        ({"IDEMPOTENCY_ANSWER_KEY": DEVELOPMENT_ANSWER_KEY}, "a known default"),
        ({"IDEMPOTENCY_ANSWER_KEY": KEY, "JWT_SECRET": KEY}, "is the JWT_SECRET"),
        ({"IDEMPOTENCY_ANSWER_KEY": KEY, "PSEUDONYM_KEY": KEY}, "is the PSEUDONYM_KEY"),
    ],
)
def test_production_refuses_a_gateway_without_an_answer_key_of_its_own(config, problem):
    with pytest.raises(ValueError, match=problem):
        answer_key(config)
    found = problems("gateway", {"JWT_SECRET": "j" * 40, **config}, env={})
    assert any(problem in p for p in found), found


def test_development_seals_with_the_development_key_and_production_with_its_own():
    assert answer_key({"PMI_ENV": "development"}) == DEVELOPMENT_ANSWER_KEY
    assert answer_key({"IDEMPOTENCY_ANSWER_KEY": KEY}) == KEY
