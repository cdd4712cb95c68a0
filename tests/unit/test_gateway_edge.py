"""Reading requests at the edge, masking answers and fingerprinting writes: no I/O."""

import pytest

from gateway import edge, privacy
from gateway.idempotency import fingerprint, valid_key
from gateway.problems import Problem
from pmi_common.errors import InvalidInput


@pytest.mark.parametrize(
    "raw", [b'{"a": NaN}', b'{"a": Infinity}', b"[" * 5000 + b"]" * 5000, b"\xff", b'{"a": 1']
)
def test_json_that_is_not_json_or_too_deep_is_a_400(raw):
    with pytest.raises(Problem) as refused:
        edge.parse_json(raw)
    assert refused.value.status == 400


def test_a_nul_character_is_refused_with_the_path_to_it():
    with pytest.raises(InvalidInput) as refused:
        edge._refuse_nul({"rounds": [{"name": "ok"}, {"name": "pi\x00tch"}]}, "the body")
    assert refused.value.details == {"rounds.1.name": ["must not contain NUL characters"]}


def test_the_agency_sees_identity_numbers_masked_and_no_private_details():
    worker = {
        "id": "w1",
        "nik": "3505125703940002",
        "birth_date": "1994-03-17",
        "phone": "+6281234567890",
        "bpjs_number": "12345678901",
        "address": {"street": "Jl. Merdeka 1", "regency": "Blitar"},
        "documents": [{"type": "passport", "number": "C4812379"}],
    }

    seen = privacy.shape({"items": [worker]}, "agency")["items"][0]

    assert seen == {
        "id": "w1",
        "nik": "350512******0002",
        "bpjs_number": "********901",
        "address": {"regency": "Blitar"},
        "documents": [{"type": "passport", "number": "*****379"}],
    }
    assert privacy.shape(worker, "operator") is worker
    assert privacy.shape(worker, None)["nik"] == "350512******0002"


def test_a_request_has_one_fingerprint_whatever_the_order_of_its_fields():
    same = fingerprint("POST", "/w", {"b": 2, "a": 1})
    assert fingerprint("POST", "/w", {"a": 1, "b": 2}) == same
    assert fingerprint("POST", "/w", {"a": 1}) != fingerprint("POST", "/w", {"a": 2})
    assert fingerprint("POST", "/w", {"a": 1}) != fingerprint("POST", "/v", {"a": 1})


@pytest.mark.parametrize(
    "key, valid",
    [
        ("k", True),
        ("order-42 retry", True),
        ("", False),
        ("x" * 256, False),
        ("kunci-é", False),
        ("a\tb", False),
    ],
)
def test_an_idempotency_key_is_printable_ascii_of_at_most_255(key, valid):
    assert valid_key(key) is valid


def test_a_request_id_holding_a_nik_like_number_is_replaced_before_it_reaches_any_event():
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    def given(value: str) -> str:
        return edge.request_id(
            Request(EnvironBuilder(headers={"X-Request-ID": value}).get_environ())
        )

    assert given("desk-42") == "desk-42"
    for hostile in ("nik-3505125703940001", "3505 1257 0394 0001"):
        replaced = given(hostile)
        assert replaced != hostile and "3505" not in replaced
